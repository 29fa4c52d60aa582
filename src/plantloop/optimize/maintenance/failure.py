"""Machine-failure classifier for tabular process data (AI4I-2020-like milling records).

Inputs are the product quality variant (``L``/``M``/``H``) and five process variables: air and process
temperature (K), rotational speed (rpm), torque (Nm) and tool wear (min). Failure-mode outcomes and
identifiers are never inputs. Physics features expose the known failure mechanisms to the trees:

- heat dissipation: process − air temperature difference (with speed as a separate input);
- power: ``torque · 2π · rpm / 60`` (W), and its log-distance from the middle of the safe power band;
- overstrain: ``tool wear · torque`` (min·Nm), also relative to the variant's strain limit
  (11,000 / 12,000 / 13,000 for L / M / H).

The model is a soft-voting ensemble of gradient boosting (exact splits), histogram gradient boosting and a
random forest; a row is predicted to fail when the mean probability reaches ``threshold`` (0.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plantloop.kernel.errors import Conflict, InvalidInput

FloatArray = npt.NDArray[np.float64]

#: Canonical input columns (unit-suffixed names).
INPUT_COLUMNS: tuple[str, ...] = (
    "product_type",
    "air_temperature_k",
    "process_temperature_k",
    "rotational_speed_rpm",
    "torque_nm",
    "tool_wear_min",
)
_TYPE_CODE = {"L": 0, "M": 1, "H": 2}
_STRAIN_LIMIT_MIN_NM = {"L": 11_000.0, "M": 12_000.0, "H": 13_000.0}
_POWER_BAND_W = (3_500.0, 9_000.0)


def physics_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model inputs from the canonical columns (see :data:`INPUT_COLUMNS`)."""
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing columns: {', '.join(missing)}", missing=missing)
    product = frame["product_type"].astype(str)
    unknown = sorted(set(product) - set(_TYPE_CODE))
    if unknown:
        raise InvalidInput(f"unknown product types {unknown}; expected L, M or H", types=unknown)
    air = frame["air_temperature_k"].to_numpy(dtype=float)
    process = frame["process_temperature_k"].to_numpy(dtype=float)
    speed = frame["rotational_speed_rpm"].to_numpy(dtype=float)
    torque = frame["torque_nm"].to_numpy(dtype=float)
    wear = frame["tool_wear_min"].to_numpy(dtype=float)
    power_w = torque * speed * 2.0 * np.pi / 60.0
    strain = wear * torque
    band_mid = np.sqrt(_POWER_BAND_W[0] * _POWER_BAND_W[1])
    return pd.DataFrame(
        {
            "product_code": product.map(_TYPE_CODE).to_numpy(dtype=float),
            "air_temperature_k": air,
            "process_temperature_k": process,
            "rotational_speed_rpm": speed,
            "torque_nm": torque,
            "tool_wear_min": wear,
            "temperature_difference_k": process - air,
            "power_w": power_w,
            "power_band_distance": np.abs(np.log(np.maximum(power_w, 1e-9) / band_mid)),
            "strain_min_nm": strain,
            "strain_ratio": strain / product.map(_STRAIN_LIMIT_MIN_NM).to_numpy(dtype=float),
        },
        index=frame.index,
    )


def _members(seed: int, boosting_rounds: int, forest_trees: int) -> list[ClassifierMixin]:
    return [
        GradientBoostingClassifier(
            n_estimators=boosting_rounds, max_depth=3, learning_rate=0.1, random_state=seed
        ),
        HistGradientBoostingClassifier(random_state=seed),
        RandomForestClassifier(n_estimators=forest_trees, n_jobs=2, random_state=seed),
    ]


@dataclass
class FailureClassifier:
    """Soft-voting tree ensemble on :func:`physics_features`."""

    threshold: float = 0.5
    seed: int = 0
    boosting_rounds: int = 300
    forest_trees: int = 500
    _models: list[ClassifierMixin] = field(default_factory=list, init=False, repr=False)

    def fit(self, frame: pd.DataFrame, failed: npt.ArrayLike) -> FailureClassifier:
        features = physics_features(frame)
        target = np.asarray(failed, dtype=int)
        if len(np.unique(target)) < 2:
            raise InvalidInput("training data needs both failed and healthy rows")
        members = _members(self.seed, self.boosting_rounds, self.forest_trees)
        with threadpool_limits(limits=1):
            self._models = [m.fit(features, target) for m in members]
        return self

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        """Mean failure probability of the ensemble members."""
        if not self._models:
            raise Conflict("the failure classifier has not been fitted")
        features = physics_features(frame)
        with threadpool_limits(limits=1):
            probabilities = [m.predict_proba(features)[:, 1] for m in self._models]
        return np.asarray(np.mean(probabilities, axis=0), dtype=float)

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
        return np.asarray(self.predict_proba(frame) >= self.threshold)
