"""Numenta's range rule for one sensor, streaming and causal (part of the NAB detector with
:mod:`plantloop.optimize.maintenance.cad`): a value beyond the range of every earlier value by more than
``tolerance`` of that range scores 1, once ``learning_rows`` values have been seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass
class RangeRule:
    """Numenta's range rule: 1 where a value leaves the range of all earlier values by more than
    ``tolerance`` of that range, once ``learning_rows`` values have been seen, else 0 (any batch size)."""

    tolerance: float = 0.05
    learning_rows: int = 300
    seen: int = field(default=0, init=False)
    _low: float = field(default=np.inf, init=False, repr=False)
    _high: float = field(default=-np.inf, init=False, repr=False)

    def update(self, new: FloatArray) -> FloatArray:
        new = np.asarray(new, dtype=float).ravel()
        if len(new) == 0:
            return np.zeros(0)
        new = np.where(np.isfinite(new), new, np.nan)  # a gap neither alarms nor moves the range
        low = np.fmin.accumulate(np.concatenate([[self._low], new]))[:-1]
        high = np.fmax.accumulate(np.concatenate([[self._high], new]))[:-1]
        span = np.where(np.isfinite(high - low), high - low, 0.0)
        beyond = (new > high + self.tolerance * span) | (new < low - self.tolerance * span)
        learned = (self.seen + np.arange(len(new)) >= self.learning_rows) & np.isfinite(high)
        self._low = float(np.fmin(self._low, np.fmin.reduce(new)))
        self._high = float(np.fmax(self._high, np.fmax.reduce(new)))
        self.seen += len(new)
        return np.asarray(np.where(beyond & learned, 1.0, 0.0), dtype=float)
