"""NAB scoring on hand-made series: perfect and null detectors, window weights, FP costs, threshold sweep."""

from __future__ import annotations

import numpy as np
import pytest

from plantloop.optimize.evaluation.nab_scoring import (
    Profile,
    best_threshold,
    file_score,
    prepare_file,
    probationary_length,
    scaled_sigmoid,
)

STANDARD = Profile.STANDARD.value
N = 1000
WINDOWS = [(300, 339), (700, 739)]


def _scores(*hits: int) -> np.ndarray:
    scores = np.zeros(N)
    scores[list(hits)] = 1.0
    return scores


def test_the_probationary_period_is_fifteen_percent_capped_at_750_rows() -> None:
    assert probationary_length(1000) == 150
    assert probationary_length(22695) == 750


def test_a_perfect_detector_scores_100_and_a_null_detector_0() -> None:
    perfect = prepare_file("a", _scores(300, 700), WINDOWS, STANDARD)
    null = prepare_file("b", np.zeros(N), WINDOWS, STANDARD)
    assert file_score(perfect, 0.5, STANDARD) == pytest.approx(2.0)
    assert file_score(null, 0.5, STANDARD) == pytest.approx(-2.0)
    assert best_threshold([perfect], STANDARD).normalized == pytest.approx(100.0)
    assert best_threshold([null], STANDARD).normalized == pytest.approx(0.0)
    both = best_threshold([perfect, null], STANDARD)
    assert both.normalized == pytest.approx(50.0)
    assert (both.null_score, both.perfect_score) == (-4.0, 4.0)


def test_a_late_detection_earns_less_and_only_the_earliest_hit_of_a_window_counts() -> None:
    late = prepare_file("a", _scores(339, 700), WINDOWS, STANDARD)
    expected_late = scaled_sigmoid(-1 / 40) / scaled_sigmoid(-1.0)
    assert file_score(late, 0.5, STANDARD) == pytest.approx(1.0 + expected_late)
    middle = prepare_file("b", _scores(320, 330, 335, 700), WINDOWS, STANDARD)
    expected_middle = scaled_sigmoid(-20 / 40) / scaled_sigmoid(-1.0)
    assert file_score(middle, 0.5, STANDARD) == pytest.approx(1.0 + expected_middle)


def test_false_positives_cost_the_fp_weight_far_from_windows_and_little_just_after_one() -> None:
    before = prepare_file("a", _scores(200, 300, 700), WINDOWS, STANDARD)
    assert file_score(before, 0.5, STANDARD) == pytest.approx(2.0 - 0.11)
    just_after = prepare_file("b", _scores(300, 341, 700), WINDOWS, STANDARD)
    assert 2.0 - 0.11 / 4 < file_score(just_after, 0.5, STANDARD) < 2.0
    far_after = prepare_file("c", _scores(300, 600, 700), WINDOWS, STANDARD)
    assert file_score(far_after, 0.5, STANDARD) == pytest.approx(2.0 - 0.11, abs=1e-3)


def test_detections_in_the_probationary_period_are_not_scored() -> None:
    early = prepare_file("a", _scores(10, 300, 700), WINDOWS, STANDARD)
    assert file_score(early, 0.5, STANDARD) == pytest.approx(2.0)
    assert best_threshold([early], STANDARD).normalized == pytest.approx(100.0)


def test_the_threshold_sweep_keeps_false_alarms_only_when_they_buy_a_detection() -> None:
    scores = np.zeros(N)
    scores[[200, 201, 202]] = 0.9  # three false alarms before any window
    scores[300] = 0.8  # an early detection of window 1
    scores[[500, 501, 502, 503, 504, 505, 506, 507, 508, 509]] = 0.7  # ten false alarms
    scores[700] = 0.6  # an early detection of window 2
    result = best_threshold([prepare_file("a", scores, WINDOWS, STANDARD)], STANDARD)
    assert result.threshold == pytest.approx(0.6)
    assert result.raw_score == pytest.approx(2.0 - 0.33 - 1.1, abs=1e-2)
    low_fp = Profile.REWARD_LOW_FP.value
    strict = best_threshold([prepare_file("a", scores, WINDOWS, low_fp)], low_fp)
    assert strict.threshold == pytest.approx(0.8)
