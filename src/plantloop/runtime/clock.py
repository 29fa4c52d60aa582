"""Plant time for the demo: starts at a given instant and runs ``speed`` times faster than the wall clock.

Every part of the demo process that asks "what time is it?" (the message bus stamping ``recorded_at``, the
simulator's pacing, the warehouse build's end, live metrics) asks this clock, so simulated events are
never in the future of the process that records them.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from plantloop.kernel.clock import ensure_utc


class AcceleratedClock:
    """``now() = start_at + speed × (monotonic seconds since construction)``; ``speed=1`` is real time."""

    def __init__(self, start_at: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.start_at = ensure_utc(start_at)
        self.speed = speed
        self._t0 = time.monotonic()

    def elapsed_s(self) -> float:
        """Plant seconds since ``start_at``."""
        return (time.monotonic() - self._t0) * self.speed

    def now(self) -> datetime:
        return self.start_at + timedelta(seconds=self.elapsed_s())
