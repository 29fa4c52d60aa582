"""Polling for tests against real servers: wait until something is true, or give up after a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(predicate: Callable[[], bool], timeout_s: float = 30.0, *, interval_s: float = 0.05) -> bool:
    """True as soon as ``predicate()`` is; False when ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return False
