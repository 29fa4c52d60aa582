"""Operating-condition detection for RUL models, and the failure classifier's inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plantloop.kernel.errors import Conflict, InvalidInput
from plantloop.optimize.maintenance.failure import FailureClassifier, physics_features
from plantloop.optimize.maintenance.rul import OperatingConditions, RulModel

SIX_CONDITIONS = np.array(
    [[0, 0, 100], [10, 0.25, 100], [20, 0.7, 100], [25, 0.62, 60], [35, 0.84, 100], [42, 0.84, 100]]
)


def test_six_operating_conditions_are_found_and_one_noisy_condition_stays_one() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, 1500)
    settings = SIX_CONDITIONS[labels] + rng.normal(0, 0.002, (1500, 3))
    conditions = OperatingConditions().fit(settings)
    assert conditions.n_conditions == 6
    assigned = conditions.assign(settings)
    assert pd.crosstab(labels, assigned).gt(0).sum(axis=1).eq(1).all()
    single = OperatingConditions().fit(np.column_stack([rng.normal(0, 0.002, (500, 2)), np.full(500, 100.0)]))
    assert single.n_conditions == 1


def test_a_rul_model_must_be_fitted_and_needs_its_columns() -> None:
    model = RulModel(["setting"], ["sensor"])
    frame = pd.DataFrame({"unit": [1, 1], "cycle": [1, 2], "setting": [0.0, 0.0], "sensor": [1.0, 2.0]})
    with pytest.raises(Conflict):
        model.predict(frame)
    with pytest.raises(InvalidInput):
        model.fit(frame.drop(columns="sensor"))


def _machining(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "product_type": rng.choice(["L", "M", "H"], rows),
            "air_temperature_k": 300 + rng.normal(0, 2, rows),
            "process_temperature_k": 310 + rng.normal(0, 1, rows),
            "rotational_speed_rpm": 1500 + rng.normal(0, 150, rows),
            "torque_nm": np.clip(40 + rng.normal(0, 10, rows), 1, None),
            "tool_wear_min": rng.uniform(0, 250, rows),
        }
    )


def test_physics_features_compute_power_and_strain_relative_to_the_variant_limit() -> None:
    frame = pd.DataFrame(
        {
            "product_type": ["L", "H"],
            "air_temperature_k": [300.0, 300.0],
            "process_temperature_k": [309.0, 311.0],
            "rotational_speed_rpm": [1500.0, 1000.0],
            "torque_nm": [40.0, 50.0],
            "tool_wear_min": [200.0, 100.0],
        }
    )
    features = physics_features(frame)
    assert features["power_w"].tolist() == pytest.approx(
        [40 * 1500 * 2 * np.pi / 60, 50 * 1000 * 2 * np.pi / 60]
    )
    assert features["strain_ratio"].tolist() == pytest.approx([8000 / 11000, 5000 / 13000])
    assert features["temperature_difference_k"].tolist() == pytest.approx([9.0, 11.0])
    with pytest.raises(InvalidInput):
        physics_features(frame.assign(product_type=["L", "X"]))


def test_the_failure_classifier_learns_an_overstrain_rule_and_ignores_extra_columns() -> None:
    train, test = _machining(1000, 1), _machining(400, 2)
    limit = train["product_type"].map({"L": 11000, "M": 12000, "H": 13000})
    failed = (train["tool_wear_min"] * train["torque_nm"] > 0.8 * limit).to_numpy()
    model = FailureClassifier(boosting_rounds=60, forest_trees=60).fit(train.assign(OSF=failed), failed)
    truth = test["tool_wear_min"] * test["torque_nm"] > 0.8 * test["product_type"].map(
        {"L": 11000, "M": 12000, "H": 13000}
    )
    predicted = model.predict(test.assign(OSF=~truth))
    assert (predicted == truth.to_numpy()).mean() > 0.97
