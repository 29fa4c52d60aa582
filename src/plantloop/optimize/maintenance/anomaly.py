"""Streaming multivariate anomaly detection per machine, from a learned normal baseline.

How it works (one :class:`MultivariateDetector` per machine):

1. ``fit(normal)`` learns the normal operating point from a window known to be normal: per-channel mean and
   standard deviation, and a shrunk (Ledoit–Wolf) covariance of the standardised channels.
2. Each new row gets a raw score: its Mahalanobis distance from the normal point (Hotelling's T² without the
   square, using all components, so it covers both the T² and the SPE subspace of a PCA model).
3. The raw score is smoothed causally by a trailing mean over ``smoothing_window`` rows. Anomalies on plant
   equipment are collective (a valve stays shut, a bearing keeps wearing), so averaging suppresses isolated
   noise spikes without looking ahead.
4. The alarm threshold is learned from the normal window itself: a quantile (default the maximum) of the
   smoothed normal scores times ``threshold_factor``. No label is ever used.

The detector is online: ``update(batch)`` scores a mini-batch (one row or many) and keeps the smoothing state
between calls, so feeding a stream in any batch sizes gives the same scores. ``fit`` primes that state with
the end of the normal window, so a stream that continues the normal window is scored seamlessly.

:class:`FleetMonitor` keeps one detector per equipment for the plant twin's telemetry
(``temperature_c``, ``vibration_mm_s``, ``current_a``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.covariance import LedoitWolf

from plantloop.kernel.errors import Conflict, InvalidInput
from plantloop.optimize.maintenance.health import health_from_score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The plant twin's telemetry channels (see ``plantloop.sim.telemetry.SIGNALS``).
TWIN_CHANNELS: tuple[str, ...] = ("temperature_c", "vibration_mm_s", "current_a")


@dataclass(frozen=True)
class DetectorConfig:
    """Tuning of a :class:`MultivariateDetector`; the defaults are the ones evaluated on SKAB."""

    smoothing_window: int = 30
    threshold_quantile: float = 1.0
    threshold_factor: float = 1.0
    min_normal_rows: int = 20


@dataclass(frozen=True)
class DetectionBatch:
    """Scores of one mini-batch: smoothed score, alarm flag and health index per row."""

    scores: FloatArray
    alarms: BoolArray
    health: FloatArray
    threshold: float


@dataclass
class _Baseline:
    mean: FloatArray
    scale: FloatArray
    precision: FloatArray
    threshold: float
    normal_median: float


@dataclass
class MultivariateDetector:
    """Mahalanobis distance to a learned normal baseline, smoothed causally, with a learned threshold."""

    channels: Sequence[str]
    config: DetectorConfig = field(default_factory=DetectorConfig)
    _baseline: _Baseline | None = field(default=None, init=False, repr=False)
    _recent_raw: FloatArray = field(default_factory=lambda: np.zeros(0), init=False, repr=False)

    @property
    def is_fitted(self) -> bool:
        return self._baseline is not None

    @property
    def threshold(self) -> float:
        return self._require_baseline().threshold

    def fit(self, normal: pd.DataFrame) -> MultivariateDetector:
        """Learn the normal baseline and threshold from ``normal`` and prime the stream with its tail."""
        return self.fit_values(self._matrix(normal))

    def fit_values(self, values: FloatArray) -> MultivariateDetector:
        """:meth:`fit` on a matrix whose columns are ``channels`` in order (finite values)."""
        if len(values) < self.config.min_normal_rows:
            raise InvalidInput(
                f"need at least {self.config.min_normal_rows} normal rows to fit, got {len(values)}",
                rows=len(values),
            )
        mean = values.mean(axis=0)
        scale = values.std(axis=0, ddof=1)
        scale = np.where(scale > 1e-12, scale, 1.0)
        z = (values - mean) / scale
        precision = np.asarray(LedoitWolf().fit(z).precision_, dtype=float)
        self._baseline = _Baseline(mean, scale, precision, threshold=np.inf, normal_median=0.0)
        self._recent_raw = np.zeros(0)
        normal_scores = self._smooth(self._raw_scores(values))
        level = float(np.quantile(normal_scores, self.config.threshold_quantile))
        self._baseline.threshold = level * self.config.threshold_factor
        self._baseline.normal_median = float(np.median(normal_scores))
        return self

    def update(self, batch: pd.DataFrame) -> DetectionBatch:
        """Score a mini-batch of new rows (causal: each row sees only itself and earlier rows)."""
        return self.update_values(self._matrix(batch))

    def update_values(self, values: FloatArray) -> DetectionBatch:
        """:meth:`update` on a matrix whose columns are ``channels`` in order (finite values)."""
        baseline = self._require_baseline()
        scores = self._smooth(self._raw_scores(values))
        health = health_from_score(scores, baseline.normal_median, baseline.threshold)
        return DetectionBatch(scores, scores > baseline.threshold, health, baseline.threshold)

    def reset_stream(self) -> None:
        """Forget the smoothing state (after maintenance): the next rows start a fresh trailing window."""
        self._recent_raw = np.zeros(0)

    def _require_baseline(self) -> _Baseline:
        if self._baseline is None:
            raise Conflict("the detector has not been fitted on a normal window yet")
        return self._baseline

    def _matrix(self, frame: pd.DataFrame) -> FloatArray:
        missing = [c for c in self.channels if c not in frame.columns]
        if missing:
            raise InvalidInput(f"missing channels: {', '.join(missing)}", missing=missing)
        values = frame.loc[:, list(self.channels)].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise InvalidInput("telemetry contains NaN or infinite values")
        return np.asarray(values, dtype=float)

    def _raw_scores(self, values: FloatArray) -> FloatArray:
        baseline = self._require_baseline()
        z = (values - baseline.mean) / baseline.scale
        d2 = np.einsum("ij,jk,ik->i", z, baseline.precision, z)
        return np.asarray(np.sqrt(np.maximum(d2, 0.0)), dtype=float)

    def _smooth(self, raw: FloatArray) -> FloatArray:
        """Trailing mean over ``smoothing_window`` rows, continuing the previous batches."""
        w = max(1, self.config.smoothing_window)
        history = np.concatenate([self._recent_raw, raw])
        csum = np.concatenate([[0.0], np.cumsum(history)])
        n_hist = len(self._recent_raw)
        ends = np.arange(n_hist + 1, len(history) + 1)
        starts = np.maximum(ends - w, 0)
        smoothed = (csum[ends] - csum[starts]) / (ends - starts)
        self._recent_raw = history[-(w - 1) :] if w > 1 else np.zeros(0)
        return np.asarray(smoothed, dtype=float)


class FleetMonitor:
    """One :class:`MultivariateDetector` per equipment over long-format telemetry rows.

    Frames carry an ``equipment_id`` column and the channel columns (the plant twin's by default).
    """

    def __init__(self, channels: Sequence[str] = TWIN_CHANNELS, config: DetectorConfig | None = None) -> None:
        self.channels = tuple(channels)
        self.config = config or DetectorConfig()
        self.detectors: dict[str, MultivariateDetector] = {}

    def fit(self, normal: pd.DataFrame) -> FleetMonitor:
        """Fit one detector per equipment on its rows of ``normal``."""
        if "equipment_id" not in normal.columns:
            raise InvalidInput("telemetry needs an equipment_id column")
        for equipment_id, rows in normal.groupby("equipment_id", sort=True):
            detector = MultivariateDetector(self.channels, self.config)
            self.detectors[str(equipment_id)] = detector.fit(rows)
        return self

    def update(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Score a batch; returns ``equipment_id, score, alarm, health`` aligned with the batch's index."""
        if "equipment_id" not in batch.columns:
            raise InvalidInput("telemetry needs an equipment_id column")
        parts: list[pd.DataFrame] = []
        for equipment_id, rows in batch.groupby("equipment_id", sort=False):
            detector = self.detectors.get(str(equipment_id))
            if detector is None:
                raise InvalidInput(
                    f"no baseline fitted for equipment {equipment_id}", equipment_id=equipment_id
                )
            result = detector.update(rows)
            parts.append(
                pd.DataFrame(
                    {
                        "equipment_id": str(equipment_id),
                        "score": result.scores,
                        "alarm": result.alarms,
                        "health": result.health,
                    },
                    index=rows.index,
                )
            )
        if not parts:
            return pd.DataFrame(columns=["equipment_id", "score", "alarm", "health"])
        return pd.concat(parts).loc[batch.index]
