"""Streaming health monitoring of equipment from raw telemetry: modes, per-mode baselines, warnings, RUL.

One :class:`EquipmentMonitor` per machine eats telemetry chunks (any size, any rate) and:

1. learns the machine's **operating modes** from its load channel over the first ``mode_learning_s`` of
   data (:class:`~plantloop.optimize.maintenance.modes.OperatingModes`);
2. turns samples into **minute features**: the mean of every channel over the samples of one minute spent
   in one mode, skipping ``settle_s`` after every mode change (temperatures lag behind load);
3. learns a **normal baseline per mode** from its first ``baseline_minutes`` minutes — a
   :class:`~plantloop.optimize.maintenance.anomaly.MultivariateDetector` (shrunk Mahalanobis distance,
   causal smoothing, threshold from the normal window);
4. raises a **warning** when at least ``confirm_minutes`` of the last ``confirm_window`` scored minutes
   alarm, and keeps it until maintenance is reported (:meth:`maintenance_done`), after which the machine is
   as good as new and its baselines are learned again;
5. estimates the **health index** (1 = like its baseline, 0.5 at the alarm threshold) and the **remaining
   useful life**: the score's linear trend over the last ``trend_minutes`` of the load mode (the highest
   load: wear shows under load, and that mode compares across machines), extrapolated to the failure
   level. The failure level is learned from the scores seen just before
   reported breakdowns (:meth:`failed`, pooled over the fleet as multiples of each alarm threshold); until
   one has been seen the remaining life is unknown (or ``failure_level_factor`` times the threshold when
   configured).

No label is used: the monitor sees telemetry and what the MES reports (maintenance done, breakdowns).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from plantloop.optimize.maintenance.anomaly import DetectorConfig, MultivariateDetector
from plantloop.optimize.maintenance.modes import UNKNOWN_MODE, OperatingModes

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MonitorConfig:
    channels: tuple[str, ...] = ("temperature_c", "vibration_mm_s", "current_a")
    load_channel: str = "current_a"
    minute_s: float = 60.0
    min_samples_fraction: float = 0.5
    settle_s: float = 1800.0
    #: A mode change counts only when the new mode lasts this long (single noisy samples do not restart
    #: the settling time).
    min_run_s: float = 30.0
    mode_learning_s: float = 8 * 3600.0
    baseline_minutes: int = 240
    confirm_minutes: int = 10
    confirm_window: int = 15
    trend_minutes: int = 120
    #: Failure level as a multiple of the alarm threshold before any breakdown has been seen (None: the
    #: remaining life is unknown until the fleet has failed once — a level cannot be guessed from telemetry).
    failure_level_factor: float | None = None
    #: The threshold is twice the highest smoothed score of the baseline window: a monitor runs for months
    #: and the maximum of many more minutes than the baseline's lies well above the baseline's own maximum.
    detector: DetectorConfig = field(
        default_factory=lambda: DetectorConfig(smoothing_window=20, threshold_factor=2.0)
    )


def _debounce(modes: npt.NDArray[np.int64], previous: int, min_run: int) -> npt.NDArray[np.int64]:
    """Runs of a mode shorter than ``min_run`` samples take the mode before them (the chunk's last run is
    kept: it may continue in the next chunk)."""
    if min_run <= 1 or len(modes) == 0:
        return modes
    out = modes.copy()
    starts = np.concatenate([[0], np.flatnonzero(np.diff(out) != 0) + 1])
    ends = np.concatenate([starts[1:], [len(out)]])
    current = previous
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < min_run and end < len(out) and current != UNKNOWN_MODE:
            out[start:end] = current
        else:
            current = int(out[start])
    return out


@dataclass(frozen=True)
class HealthPoint:
    equipment_id: str
    at: datetime
    mode: int
    score: float
    threshold: float
    alarm: bool
    health: float


@dataclass(frozen=True)
class HealthStatus:
    """The monitor's current view of one machine."""

    equipment_id: str
    at: datetime | None
    learning: bool
    health: float
    score: float
    threshold: float
    mode: int | None
    warning: bool
    warning_since: datetime | None
    rul_h: float | None
    failure_level: float | None


class EquipmentMonitor:
    def __init__(self, equipment_id: str, config: MonitorConfig | None = None) -> None:
        self.equipment_id = equipment_id
        self.config = config or MonitorConfig()
        self.modes = OperatingModes()
        self._learning: list[tuple[float, FloatArray]] = []  # (t0, samples × channels) until modes fitted
        self._learned_s = 0.0
        self._epoch: datetime | None = None
        self._mode_prev = UNKNOWN_MODE
        self._mode_since_s = -np.inf
        self._carry: tuple[FloatArray, FloatArray, npt.NDArray[np.int64]] | None = None
        self._baseline: dict[int, list[FloatArray]] = {}
        self._detectors: dict[int, MultivariateDetector] = {}
        self._history: dict[int, deque[tuple[float, float]]] = {}
        self._alarms: deque[bool] = deque(maxlen=self.config.confirm_window)
        self.last: HealthPoint | None = None
        self.warning_since: datetime | None = None
        self.failure_scores: list[float] = []

    # ---- facts from the MES ----------------------------------------------------------------------
    def maintenance_done(self, at: datetime) -> None:
        """The machine was maintained or repaired: it is as good as new, so its baselines are learned again
        (the old ones may have been learned while it was already wearing), and the warning ends."""
        self._detectors.clear()
        self._baseline.clear()
        for history in self._history.values():
            history.clear()
        self._alarms.clear()
        self.warning_since = None
        if self._epoch is not None:
            self._mode_since_s = (at - self._epoch).total_seconds()

    def failed(self, at: datetime) -> None:
        """A breakdown was reported: remember how far the load mode's score had gone (in thresholds)."""
        ratio = self._load_ratio()
        if ratio is not None:
            self.failure_scores.append(ratio)

    def _load_mode(self) -> int | None:
        """The highest-load mode with a baseline: wear is judged under load, comparably across machines."""
        return max(self._detectors) if self._detectors else None

    def _load_ratio(self) -> float | None:
        mode = self._load_mode()
        history = self._history.get(mode) if mode is not None else None
        if mode is None or not history:
            return None
        return history[-1][1] / self._detectors[mode].threshold

    # ---- telemetry -------------------------------------------------------------------------------
    def add_chunk(
        self, start_at: datetime, interval_s: float, arrays: Mapping[str, npt.ArrayLike]
    ) -> list[HealthPoint]:
        """Score one chunk of samples (``arrays``: channel → values at ``start_at + i·interval_s``)."""
        values = np.column_stack([np.asarray(arrays[c], dtype=float) for c in self.config.channels])
        if self._epoch is None:
            self._epoch = start_at
        t0 = (start_at - self._epoch).total_seconds()
        times = np.asarray(t0 + np.arange(len(values)) * interval_s, dtype=float)
        if not self.modes.fitted:
            self._learning.append((t0, values))
            self._learned_s += len(values) * interval_s
            if self._learned_s < self.config.mode_learning_s:
                return []
            load_index = self.config.channels.index(self.config.load_channel)
            self.modes.fit(np.concatenate([v[:, load_index] for _, v in self._learning]))
            stored, self._learning = self._learning, []
            points: list[HealthPoint] = []
            for start_s, block in stored:
                stamps = np.asarray(start_s + np.arange(len(block)) * interval_s, dtype=float)
                points += self._score(stamps, block, interval_s)
            return points
        return self._score(times, values, interval_s)

    def _score(self, times: FloatArray, values: FloatArray, interval_s: float) -> list[HealthPoint]:
        cfg = self.config
        load = values[:, cfg.channels.index(cfg.load_channel)]
        previous, since = self._mode_prev, self._mode_since_s
        modes = _debounce(self.modes.assign(load), previous, max(1, round(cfg.min_run_s / interval_s)))
        changes = np.flatnonzero(np.diff(np.concatenate([[previous], modes])) != 0)
        starts = np.concatenate([[since], times[changes]]) if len(changes) else np.array([since])
        segment = np.searchsorted(changes, np.arange(len(times)), side="right")
        settled = times - starts[segment] >= cfg.settle_s
        self._mode_prev = int(modes[-1])
        self._mode_since_s = float(starts[-1])
        if self._carry is not None:
            times = np.concatenate([self._carry[0], times])
            values = np.concatenate([self._carry[1], values])
            modes = np.concatenate([self._carry[2], np.where(settled, modes, UNKNOWN_MODE)])
        else:
            modes = np.where(settled, modes, UNKNOWN_MODE)
        minute = np.floor(times / cfg.minute_s).astype(np.int64)
        last_minute_done = times[-1] + interval_s >= (minute[-1] + 1) * cfg.minute_s - 1e-9
        complete = np.ones(len(minute), dtype=bool) if last_minute_done else minute < minute[-1]
        self._carry = (times[~complete], values[~complete], modes[~complete]) if (~complete).any() else None
        usable = complete & (modes != UNKNOWN_MODE)
        if not usable.any():
            return []
        # Mean of every channel per (minute, mode): one sort-free pass with bincount.
        n_modes = max(self.modes.count, 1)
        keys = minute[usable] * n_modes + modes[usable]
        unique, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse)
        sums = np.column_stack(
            [np.bincount(inverse, weights=values[usable, k]) for k in range(values.shape[1])]
        )
        need = cfg.min_samples_fraction * cfg.minute_s / interval_s
        enough = counts >= need
        if not enough.any():
            return []
        rows = sums[enough] / counts[enough, None]
        minutes = unique[enough] // n_modes
        row_modes = unique[enough] % n_modes
        scored: list[tuple[int, int, float, float, bool, float]] = []
        for mode in np.unique(row_modes):
            mine = row_modes == mode
            scored += self._score_mode(int(mode), minutes[mine], rows[mine])
        scored.sort()
        return [self._point(*item) for item in scored]

    def _score_mode(
        self, mode: int, minutes: npt.NDArray[np.int64], rows: FloatArray
    ) -> list[tuple[int, int, float, float, bool, float]]:
        """(minute, mode, score, threshold, alarm, health) of one mode's rows; learns its baseline first."""
        cfg = self.config
        out: list[tuple[int, int, float, float, bool, float]] = []
        detector = self._detectors.get(mode)
        if detector is None:
            baseline = self._baseline.setdefault(mode, [])
            take = min(cfg.baseline_minutes - len(baseline), len(rows))
            baseline.extend(rows[:take])
            out += [(int(m), mode, 0.0, 0.0, False, 1.0) for m in minutes[:take]]
            if len(baseline) < cfg.baseline_minutes:
                return out
            detector = MultivariateDetector(cfg.channels, cfg.detector).fit_values(np.vstack(baseline))
            self._detectors[mode] = detector
            del self._baseline[mode]
            minutes, rows = minutes[take:], rows[take:]
            if len(rows) == 0:
                return out
        batch = detector.update_values(rows)
        history = self._history.setdefault(mode, deque(maxlen=cfg.trend_minutes))
        history.extend(zip((minutes * cfg.minute_s).tolist(), batch.scores.tolist(), strict=True))
        out += [
            (int(m), mode, float(sc), batch.threshold, bool(a), float(h))
            for m, sc, a, h in zip(minutes, batch.scores, batch.alarms, batch.health, strict=True)
        ]
        return out

    def _point(
        self, minute: int, mode: int, score: float, threshold: float, alarm: bool, health: float
    ) -> HealthPoint:
        assert self._epoch is not None
        at = self._epoch + timedelta(seconds=(minute + 1) * self.config.minute_s)
        point = HealthPoint(self.equipment_id, at, mode, score, threshold, alarm, health)
        if threshold > 0:
            self._alarms.append(alarm)
            if self.warning_since is None and sum(self._alarms) >= self.config.confirm_minutes:
                self.warning_since = at
            self.last = point
        return point

    # ---- the current view -------------------------------------------------------------------------
    def failure_level(self, fleet_ratios: list[float] | None = None) -> float | None:
        """The load mode's score at which the machine is expected to fail."""
        mode = self._load_mode()
        if mode is None:
            return None
        ratios = fleet_ratios if fleet_ratios else self.failure_scores
        factor = float(np.median(ratios)) if ratios else self.config.failure_level_factor
        return None if factor is None else factor * self._detectors[mode].threshold

    def rul_h(self, fleet_ratios: list[float] | None = None) -> float | None:
        """Hours until the linear trend of the load mode's score reaches the failure level (None: unknown)."""
        mode = self._load_mode()
        level = self.failure_level(fleet_ratios)
        history = self._history.get(mode) if mode is not None else None
        if self.warning_since is None or level is None or not history or len(history) < 10:
            return None
        t = np.array([h[0] for h in history])
        s = np.array([h[1] for h in history])
        slope = float(np.polyfit(t - t[-1], s, 1)[0])
        if slope <= 0:
            return None
        return float(max(level - s[-1], 0.0) / slope / 3600.0)

    def status(self, fleet_ratios: list[float] | None = None) -> HealthStatus:
        last = self.last
        return HealthStatus(
            equipment_id=self.equipment_id,
            at=last.at if last else None,
            learning=not self._detectors,
            health=last.health if last else 1.0,
            score=last.score if last else 0.0,
            threshold=last.threshold if last else 0.0,
            mode=last.mode if last else None,
            warning=self.warning_since is not None,
            warning_since=self.warning_since,
            rul_h=self.rul_h(fleet_ratios),
            failure_level=self.failure_level(fleet_ratios),
        )
