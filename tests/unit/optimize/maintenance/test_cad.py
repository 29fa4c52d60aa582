"""CAD OSE: causal, deterministic, batch-size invariant; silent on a learned pattern, loud when it breaks."""

from __future__ import annotations

import numpy as np

from plantloop.optimize.maintenance.cad import CadConfig, ContextualAnomalyDetector, _py2_tuple_hash

PATTERN = np.array([0.0, 1.0, 2.0, 5.0, 7.0, 6.0, 3.0, 1.0])


def _noisy(n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 5 * np.sin(2 * np.pi * t / 96) + rng.normal(0, 1, n)


def test_feeding_a_series_in_mini_batches_gives_the_same_scores_as_one_batch() -> None:
    values = _noisy()
    whole = ContextualAnomalyDetector().update(values)
    detector = ContextualAnomalyDetector()
    sizes = [1, 7, 64, 300, 13]
    parts, start, k = [], 0, 0
    while start < len(values):
        parts.append(detector.update(values[start : start + sizes[k % len(sizes)]]))
        start, k = start + sizes[k % len(sizes)], k + 1
    assert np.array_equal(np.concatenate(parts), whole)
    assert detector.seen == len(values)
    assert whole.max() > 0.0  # the noisy series does raise scores: the comparison is not vacuous


def test_future_values_do_not_change_past_scores() -> None:
    values = _noisy()
    altered = values.copy()
    altered[1200:] = altered[1200:] * 3.0 + 40.0  # widens the range the quantisation learns from
    a = ContextualAnomalyDetector().update(values)
    b = ContextualAnomalyDetector().update(altered)
    assert np.array_equal(a[:1200], b[:1200])
    assert not np.array_equal(a[1200:], b[1200:])


def test_two_runs_give_identical_scores() -> None:
    values = _noisy(seed=3)
    first, second = ContextualAnomalyDetector().update(values), ContextualAnomalyDetector().update(values)
    assert np.array_equal(first, second)


def test_a_repeated_pattern_is_learned_and_then_scores_zero() -> None:
    values = np.tile(PATTERN, 150)
    scores = ContextualAnomalyDetector().update(values)
    assert scores[200:].max() == 0.0


def test_a_break_in_a_learned_pattern_scores_high_and_raises_one_alarm() -> None:
    values = np.tile(PATTERN, 150)
    values[800:804] = [7.0, 0.0, 7.0, 0.0]
    scores = ContextualAnomalyDetector().update(values)
    assert scores[800:804].max() >= 0.75
    assert scores[:800].max() == 0.0
    first = 800 + int(np.argmax(scores[800:804] > 0))
    rest = CadConfig().rest_rows
    assert scores[first + 1 : first + rest].max() == 0.0  # the rest period: one alarm per event


def test_a_known_sensor_range_fixes_the_quantisation() -> None:
    values = np.tile(PATTERN, 60)
    values[298] = 100.0  # a 2 in the pattern; beyond the known range: clipped to the top level, a surprise
    known = ContextualAnomalyDetector(CadConfig(value_range=(0.0, 7.0))).update(values)
    assert known[:298].max() == 0.0
    assert known[298] >= 0.5


def test_missing_readings_are_carried_forward_instead_of_failing() -> None:
    values = _noisy(600)
    values[[100, 400]] = np.nan
    scores = ContextualAnomalyDetector().update(values)
    assert np.isfinite(scores).all()
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def test_the_tie_break_hash_is_cpython2s_tuple_hash() -> None:
    # Values of hash((1, 2)) and hash(()) in CPython 2.7 on 64-bit Linux.
    assert _py2_tuple_hash((1, 2)) == 3713081631934410656
    assert _py2_tuple_hash(()) == 3527539
