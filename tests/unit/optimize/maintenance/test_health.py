"""Health indices map scores and RUL to 0..1."""

from __future__ import annotations

import numpy as np
import pytest

from plantloop.optimize.maintenance.health import combined_health, health_from_rul, health_from_score


def test_normal_scores_are_fully_healthy_and_the_threshold_is_half_health() -> None:
    health = health_from_score(np.array([0.5, 1.0, 3.0, 5.0]), normal_level=1.0, threshold=3.0)
    assert health == pytest.approx([1.0, 1.0, 0.5, 0.25])


def test_rul_health_is_the_share_of_the_horizon_left() -> None:
    assert health_from_rul(np.array([250.0, 125.0, 62.5, -3.0])) == pytest.approx([1.0, 1.0, 0.5, 0.0])
    with pytest.raises(ValueError):
        health_from_rul(np.array([1.0]), horizon_cycles=0)


def test_the_combined_index_takes_the_worst_source() -> None:
    assert combined_health(np.array([0.9, 0.2]), np.array([0.4, 0.8])) == pytest.approx([0.4, 0.2])
