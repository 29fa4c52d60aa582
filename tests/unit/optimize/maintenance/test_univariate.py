"""The streaming univariate detector is causal, batch-size invariant, scores surprises, flags new ranges."""

from __future__ import annotations

import numpy as np

from plantloop.optimize.maintenance.univariate import RangeRule, StreamingUnivariateDetector, UnivariateConfig


def _series(n: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 5 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 1, n)


def test_feeding_a_series_in_mini_batches_gives_the_same_scores_as_one_batch() -> None:
    values = _series()
    values[[1500, 2600]] += [30.0, -40.0]  # the range rule's state crosses batches too
    whole = StreamingUnivariateDetector().update(values)
    detector = StreamingUnivariateDetector()
    sizes = [1, 5, 64, 300, 1000, 17]
    parts, start, k = [], 0, 0
    while start < len(values):
        size = sizes[k % len(sizes)]
        parts.append(detector.update(values[start : start + size]))
        start, k = start + size, k + 1
    assert np.allclose(np.concatenate(parts), whole)
    assert whole[1500] == 1.0 and whole[2600] == 1.0
    assert detector.seen == len(values)


def test_future_values_do_not_change_past_scores() -> None:
    values = _series()
    altered = values.copy()
    altered[2000:] += 100.0
    a = StreamingUnivariateDetector().update(values)
    b = StreamingUnivariateDetector().update(altered)
    assert np.array_equal(a[:2000], b[:2000])


def test_a_level_shift_scores_higher_than_anything_in_normal_operation() -> None:
    values = _series()
    values[2500:] += 15.0
    scores = StreamingUnivariateDetector().update(values)
    assert scores[2500:2510].max() > scores[1000:2500].max()
    assert scores.min() >= 0.0 and scores.max() <= 1.0


def test_a_value_beyond_the_range_seen_so_far_scores_one_once_the_range_is_learned() -> None:
    values = _series(1000)
    high = values[:800].max() + 0.2 * np.ptp(values[:800])  # 20 % of the range above the highest value
    values[800] = high
    config = UnivariateConfig(range_tolerance=0.05, range_learning_rows=300)
    scores = StreamingUnivariateDetector(config).update(values)
    assert scores[800] == 1.0
    assert scores[300:800].max() < 1.0  # values inside the range never score 1
    within = values.copy()
    within[800] = values[:800].max() + 0.02 * np.ptp(values[:800])  # inside the 5 % tolerance
    assert StreamingUnivariateDetector(config).update(within)[800] < 1.0
    early = _series(1000)
    early[100] = high  # still learning the range: the rarity scores it, the range rule does not
    assert StreamingUnivariateDetector(config).update(early)[100] < 1.0


def test_a_repeated_alarm_inside_the_refractory_period_is_damped() -> None:
    values = _series()
    values[2500] += 30.0
    values[2550] += 20.0
    scores = StreamingUnivariateDetector(UnivariateConfig(refractory_rows=200)).update(values)
    assert scores[2550] < 0.6 * scores[2500]


def test_missing_readings_are_carried_forward_instead_of_failing() -> None:
    values = _series(600)
    values[300] = np.nan
    scores = StreamingUnivariateDetector().update(values)
    assert np.isfinite(scores).all()


def test_the_range_rule_skips_gaps_and_keeps_flagging_after_them() -> None:
    values = _series(600)
    values[400] = np.nan
    values[500] = values[:500][np.isfinite(values[:500])].max() + 100.0
    rule = RangeRule(tolerance=0.05, learning_rows=300)
    flags = np.concatenate([rule.update(values[:450]), rule.update(values[450:])])
    assert flags[400] == 0.0 and flags[500] == 1.0
    assert flags.sum() == 1.0
