"""Health index of a machine on a 0..1 scale (1 = as good as its normal baseline, 0 = failed or failing).

Two sources feed it:

- an anomaly score against a normal baseline (:func:`health_from_score`): the median normal score maps to 1,
  the alarm threshold to 0.5, and the index halves again for every further threshold-width above it;
- a remaining-useful-life estimate (:func:`health_from_rul`): RUL divided by the horizon beyond which a
  machine counts as healthy (the piecewise-linear RUL cap), clipped to 0..1.

:func:`combined_health` takes the worse of the two, so either warning is enough to lower the index.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def health_from_score(scores: FloatArray, normal_level: float, threshold: float) -> FloatArray:
    """Map scores to 0..1: ``0.5 ** ((score − normal) / (threshold − normal))``, 1 at or below normal."""
    width = max(threshold - normal_level, 1e-12)
    excess = np.maximum(np.asarray(scores, dtype=float) - normal_level, 0.0) / width
    return np.asarray(np.power(0.5, excess), dtype=float)


def health_from_rul(rul_cycles: FloatArray, horizon_cycles: float = 125.0) -> FloatArray:
    """Map remaining useful life to 0..1 as ``RUL / horizon``, clipped."""
    if horizon_cycles <= 0:
        raise ValueError("horizon_cycles must be positive")
    return np.asarray(np.clip(np.asarray(rul_cycles, dtype=float) / horizon_cycles, 0.0, 1.0), dtype=float)


def combined_health(*indices: FloatArray) -> FloatArray:
    """The element-wise minimum of several health indices (the most pessimistic one wins)."""
    if not indices:
        raise ValueError("need at least one health index")
    return np.asarray(np.minimum.reduce([np.asarray(i, dtype=float) for i in indices]), dtype=float)
