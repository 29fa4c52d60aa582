"""Remaining-useful-life regression from run-to-failure sensor histories (C-MAPSS style).

Input frames have one row per unit and cycle: ``unit``, ``cycle``, operating-setting columns and sensor
columns. The model:

1. **Operating conditions.** Rows are clustered on their (standardised) settings with k-means; k is the
   smallest number of clusters that explains at least 99.9 % of the settings' variance (1 for single-condition
   data such as FD001/FD003, 6 for FD002/FD004). Every sensor is then standardised per condition with the
   training rows of that condition, so the same code handles single- and multi-condition fleets.
2. **Features** per unit, causal in cycle order: exponentially weighted means (α = 0.1 and 0.3), the slope
   over the last ``window_cycles`` cycles, the drift of the slow mean from the unit's own first
   ``baseline_cycles`` cycles (engines start with different manufacturing variation), and the cycle count.
3. **Target** RUL capped piecewise-linearly at ``rul_cap`` (125 cycles by default): early life is "healthy",
   degradation shows only in the last part.
4. **Model** an average of ``n_models`` histogram gradient-boosting regressors with different seeds (their
   early-stopping validation splits differ). OpenMP is limited to one thread: on a shared, busy machine the
   default thread team is several times slower than one thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plantloop.kernel.errors import Conflict, InvalidInput

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RulConfig:
    rul_cap: float = 125.0
    window_cycles: int = 30
    baseline_cycles: int = 10
    n_models: int = 5
    max_conditions: int = 8
    learning_rate: float = 0.05
    max_iter: int = 500
    min_samples_leaf: int = 40


@dataclass
class OperatingConditions:
    """k-means clusters of operating settings, with k chosen from the explained variance."""

    max_conditions: int = 8
    sample_rows: int = 3000
    _center: FloatArray = field(default_factory=lambda: np.zeros(0), init=False)
    _scale: FloatArray = field(default_factory=lambda: np.ones(0), init=False)
    _kmeans: KMeans | None = field(default=None, init=False)

    @property
    def n_conditions(self) -> int:
        return 1 if self._kmeans is None else int(self._kmeans.n_clusters)

    def fit(self, settings: FloatArray) -> OperatingConditions:
        self._center = settings.mean(axis=0)
        std = settings.std(axis=0)
        self._scale = np.where(std > 1e-12, std, 1.0)
        z = (settings - self._center) / self._scale
        if len(z) > self.sample_rows:
            z = z[np.random.default_rng(0).choice(len(z), self.sample_rows, replace=False)]
        total = float(((z - z.mean(axis=0)) ** 2).sum())
        self._kmeans = None
        if total <= 0:
            return self
        for k in range(2, self.max_conditions + 1):
            with threadpool_limits(limits=1):
                model = KMeans(n_clusters=k, n_init=2, random_state=0).fit(z)
            if float(model.inertia_) / total < 1e-3:
                self._kmeans = model
                break
        return self

    def assign(self, settings: FloatArray) -> npt.NDArray[np.int64]:
        if self._kmeans is None:
            return np.zeros(len(settings), dtype=np.int64)
        labels = self._kmeans.predict((settings - self._center) / self._scale)
        return np.asarray(labels, dtype=np.int64)


@dataclass
class RulModel:
    """Fit on run-to-failure histories, predict RUL per row or at each unit's last cycle."""

    setting_columns: Sequence[str]
    sensor_columns: Sequence[str]
    config: RulConfig = field(default_factory=RulConfig)
    conditions: OperatingConditions = field(init=False)
    _norm: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict, init=False, repr=False)
    _sensors: list[str] = field(default_factory=list, init=False)
    _models: list[HistGradientBoostingRegressor] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.conditions = OperatingConditions(self.config.max_conditions)

    def fit(self, train: pd.DataFrame) -> RulModel:
        """``train`` holds complete run-to-failure histories; the label is cycles until each unit's last."""
        self._check(train)
        train = train.sort_values(["unit", "cycle"], kind="stable").reset_index(drop=True)
        settings = train.loc[:, list(self.setting_columns)].to_numpy(dtype=float)
        self.conditions.fit(settings)
        condition = self.conditions.assign(settings)
        raw = train.loc[:, list(self.sensor_columns)].to_numpy(dtype=float)
        within_std = np.zeros(raw.shape[1])
        self._norm = {}
        for c in np.unique(condition):
            rows = raw[condition == c]
            mean, std = rows.mean(axis=0), rows.std(axis=0)
            self._norm[int(c)] = (mean, np.where(std > 1e-9, std, 1.0))
            within_std = np.maximum(within_std, std)
        self._sensors = [s for s, sd in zip(self.sensor_columns, within_std, strict=True) if sd > 1e-6]
        if not self._sensors:
            raise InvalidInput("every sensor is constant within its operating condition")
        features = self.features(train)
        last = train.groupby("unit")["cycle"].transform("max").to_numpy(dtype=float)
        target = np.minimum(last - train["cycle"].to_numpy(dtype=float), self.config.rul_cap)
        with threadpool_limits(limits=1):
            self._models = [
                HistGradientBoostingRegressor(
                    max_iter=self.config.max_iter,
                    learning_rate=self.config.learning_rate,
                    min_samples_leaf=self.config.min_samples_leaf,
                    random_state=seed,
                ).fit(features, target)
                for seed in range(self.config.n_models)
            ]
        return self

    def predict(self, frame: pd.DataFrame) -> FloatArray:
        """Predicted RUL for every row (each row sees only its unit's earlier cycles)."""
        if not self._models:
            raise Conflict("the RUL model has not been fitted")
        features = self.features(frame)
        with threadpool_limits(limits=1):
            predictions = np.mean([m.predict(features) for m in self._models], axis=0)
        return np.asarray(np.clip(predictions, 0.0, None), dtype=float)

    def predict_last(self, frame: pd.DataFrame) -> pd.Series:
        """Predicted RUL at the last cycle of each unit, indexed by unit."""
        ordered = frame.sort_values(["unit", "cycle"], kind="stable").reset_index(drop=True)
        predicted = pd.Series(self.predict(ordered), index=ordered.index)
        last_rows = ordered.groupby("unit")["cycle"].idxmax()
        return pd.Series(predicted.loc[last_rows.to_numpy()].to_numpy(), index=last_rows.index, name="rul")

    def normalised(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Sensors standardised per operating condition (training statistics)."""
        self._check(frame)
        condition = self.conditions.assign(frame.loc[:, list(self.setting_columns)].to_numpy(dtype=float))
        raw = frame.loc[:, list(self.sensor_columns)].to_numpy(dtype=float)
        z = np.zeros_like(raw)
        for c, (mean, std) in self._norm.items():
            mask = condition == c
            z[mask] = (raw[mask] - mean) / std
        out = pd.DataFrame(z, columns=list(self.sensor_columns), index=frame.index)
        return out.loc[:, self._sensors]

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Causal per-unit features (rows in the frame's order; units must be sorted by cycle)."""
        z = self.normalised(frame)
        z["unit"] = frame["unit"].to_numpy()
        w, b = self.config.window_cycles, self.config.baseline_cycles
        blocks: list[pd.DataFrame] = []
        for _, g in z.groupby("unit", sort=False):
            s = g.drop(columns="unit")
            n = len(s)
            slow = s.ewm(alpha=0.1).mean()
            fast = s.ewm(alpha=0.3).mean()
            t = pd.Series(np.arange(n, dtype=float), index=s.index)
            t_mean = t.rolling(w, min_periods=2).mean()
            t_var = (t * t).rolling(w, min_periods=2).mean() - t_mean * t_mean
            s_mean = s.rolling(w, min_periods=2).mean()
            cov = s.mul(t, axis=0).rolling(w, min_periods=2).mean() - s_mean.mul(t_mean, axis=0)
            slope = cov.div(t_var.replace(0.0, np.nan), axis=0).fillna(0.0)
            early = np.repeat((np.arange(n) < b)[:, None], s.shape[1], axis=1)
            baseline = s.expanding().mean().where(early).ffill()
            drift = slow - baseline
            blocks.append(
                pd.concat(
                    [
                        slow.add_suffix("_ewm10"),
                        fast.add_suffix("_ewm30"),
                        slope.add_suffix("_slope"),
                        drift.add_suffix("_drift"),
                    ],
                    axis=1,
                )
            )
        features = pd.concat(blocks).loc[frame.index]
        features.insert(0, "cycle", frame["cycle"].to_numpy(dtype=float))
        return features

    def _check(self, frame: pd.DataFrame) -> None:
        needed = ["unit", "cycle", *self.setting_columns, *self.sensor_columns]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InvalidInput(f"missing columns: {', '.join(missing)}", missing=missing)
