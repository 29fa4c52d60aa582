"""The multivariate detector learns a normal baseline and raises alarms online, per machine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plantloop.kernel.errors import Conflict, InvalidInput
from plantloop.optimize.maintenance.anomaly import (
    TWIN_CHANNELS,
    DetectorConfig,
    FleetMonitor,
    MultivariateDetector,
)


def _telemetry(rows: int, seed: int, vibration_shift_mm_s: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    temperature = 60.0 + rng.normal(0, 0.5, rows)
    current = 12.0 + rng.normal(0, 0.3, rows)
    vibration = 3.0 + 0.1 * (current - 12.0) + rng.normal(0, 0.1, rows) + vibration_shift_mm_s
    return pd.DataFrame({"temperature_c": temperature, "vibration_mm_s": vibration, "current_a": current})


def test_a_detector_stays_quiet_on_normal_data_and_alarms_on_a_vibration_shift() -> None:
    detector = MultivariateDetector(TWIN_CHANNELS).fit(_telemetry(500, seed=1))
    normal = detector.update(_telemetry(300, seed=2))
    faulty = detector.update(_telemetry(300, seed=3, vibration_shift_mm_s=1.0))
    assert normal.alarms.mean() < 0.05
    assert faulty.alarms[40:].mean() > 0.95
    assert faulty.scores.mean() > 3 * normal.scores.mean()
    assert normal.health.mean() > 0.6 > faulty.health[40:].max()


def test_streaming_in_any_batch_size_gives_the_same_scores() -> None:
    normal, stream = _telemetry(400, seed=4), _telemetry(250, seed=5, vibration_shift_mm_s=0.5)
    whole = MultivariateDetector(TWIN_CHANNELS).fit(normal).update(stream).scores
    detector = MultivariateDetector(TWIN_CHANNELS).fit(normal)
    pieces = [
        detector.update(stream.iloc[i : i + size]).scores
        for i, size in zip(range(0, 250, 7), [7] * 36, strict=True)
    ]
    assert np.allclose(np.concatenate(pieces), whole)
    single = MultivariateDetector(TWIN_CHANNELS).fit(normal)
    one_by_one = np.concatenate([single.update(stream.iloc[[i]]).scores for i in range(25)])
    assert np.allclose(one_by_one, whole[:25])


def test_a_score_depends_only_on_earlier_rows() -> None:
    normal = _telemetry(400, seed=6)
    stream = _telemetry(200, seed=7)
    changed = stream.copy()
    changed.iloc[150:, 1] += 5.0
    a = MultivariateDetector(TWIN_CHANNELS).fit(normal).update(stream).scores
    b = MultivariateDetector(TWIN_CHANNELS).fit(normal).update(changed).scores
    assert np.array_equal(a[:150], b[:150])
    assert b[160] > a[160]


def test_the_threshold_is_learned_from_the_normal_window_only() -> None:
    normal = _telemetry(500, seed=8)
    loose = MultivariateDetector(TWIN_CHANNELS, DetectorConfig(threshold_factor=2.0)).fit(normal)
    tight = MultivariateDetector(TWIN_CHANNELS).fit(normal)
    assert loose.threshold == pytest.approx(2.0 * tight.threshold)


def test_scoring_before_fitting_or_without_a_channel_is_refused() -> None:
    detector = MultivariateDetector(TWIN_CHANNELS)
    with pytest.raises(Conflict):
        detector.update(_telemetry(10, seed=9))
    with pytest.raises(InvalidInput):
        detector.fit(_telemetry(100, seed=9).drop(columns="current_a"))
    with pytest.raises(InvalidInput):
        detector.fit(_telemetry(5, seed=9))


def test_a_fleet_monitor_alarms_only_on_the_machine_that_degrades() -> None:
    def fleet(seed: int, shift_on: str | None, rows: int = 300) -> pd.DataFrame:
        parts = []
        for k, equipment_id in enumerate(["press-1", "mill-2"]):
            shift = 1.5 if equipment_id == shift_on else 0.0
            part = _telemetry(rows, seed=seed + k, vibration_shift_mm_s=shift)
            part.insert(0, "equipment_id", equipment_id)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    monitor = FleetMonitor().fit(fleet(10, None, rows=2000))
    scored = monitor.update(fleet(20, "mill-2"))
    assert list(scored.index) == list(range(600))
    alarm_rate = scored.groupby("equipment_id")["alarm"].mean()
    assert alarm_rate["press-1"] < 0.05
    assert alarm_rate["mill-2"] > 0.9
    with pytest.raises(InvalidInput):
        monitor.update(fleet(30, None).assign(equipment_id="unknown"))
