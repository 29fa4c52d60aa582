"""The simulator against the plant clock: a thread that advances a :class:`~plantloop.sim.run.SimRun` to
the clock's "now" every ``step_s`` wall seconds, each step's commands going to the MES as one group commit.

If the simulation cannot keep up (a slow machine, a very high speed) it runs as fast as it can and
:attr:`lag_s` says by how many plant seconds it trails. A failing step stops the thread and is kept in
:attr:`error` (the process shows it; nothing is swallowed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from plantloop.runtime.clock import AcceleratedClock
from plantloop.sim.run import SimRun

log = logging.getLogger(__name__)


class PacedSimulation:
    def __init__(
        self,
        run: SimRun,
        clock: AcceleratedClock,
        *,
        step_s: float = 0.5,
        max_step_plant_s: float = 3600.0,
        group_commit: Callable[[], AbstractContextManager[Any]] | None = None,
        on_step: Callable[[SimRun], None] | None = None,
    ) -> None:
        self.run = run
        self.clock = clock
        self.step_s = step_s
        self.max_step_plant_s = max_step_plant_s
        self.group_commit = group_commit or nullcontext
        self.on_step = on_step
        self.steps = 0
        self.step_wall_s = 0.0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lag_s(self) -> float:
        """Plant seconds the simulation trails the clock (0 when it keeps up or has finished)."""
        if self.run.done:
            return 0.0
        return max(0.0, self._target() - self.run.now_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _target(self) -> float:
        return (self.clock.now() - self.run.config.start_at).total_seconds()

    def _steps(self) -> Iterator[float]:
        while not self._stop.is_set() and not self.run.done:
            target = min(self._target(), self.run.now_s + self.max_step_plant_s)
            if target > self.run.now_s:
                yield target
            if target >= self._target():
                self._stop.wait(self.step_s)

    def _loop(self) -> None:
        try:
            for target in self._steps():
                started = time.perf_counter()
                with self.group_commit():
                    self.run.advance(target)
                self.steps += 1
                self.step_wall_s = time.perf_counter() - started
                if self.on_step is not None:
                    self.on_step(self.run)
        except Exception as exc:  # kept and shown: the process decides what to do
            log.exception("the simulation stopped")
            self.error = exc

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sim-pacer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
