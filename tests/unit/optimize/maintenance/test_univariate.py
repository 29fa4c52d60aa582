"""Numenta's range rule: causal, batch-size invariant, flags values beyond the range seen so far."""

from __future__ import annotations

import numpy as np

from plantloop.optimize.maintenance.univariate import RangeRule


def _series(n: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 5 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 1, n)


def test_a_value_beyond_the_range_seen_so_far_scores_one_once_the_range_is_learned() -> None:
    values = _series(1000)
    high = values[:800].max() + 0.2 * np.ptp(values[:800])  # 20 % of the range above the highest value
    values[800] = high
    flags = RangeRule(tolerance=0.05, learning_rows=300).update(values)
    assert flags[800] == 1.0
    assert flags[300:800].max() == 0.0  # values inside the range never score
    within = values.copy()
    within[800] = values[:800].max() + 0.02 * np.ptp(values[:800])  # inside the 5 % tolerance
    assert RangeRule(tolerance=0.05, learning_rows=300).update(within)[800] == 0.0
    early = _series(1000)
    early[100] = high  # still learning the range
    assert RangeRule(tolerance=0.05, learning_rows=300).update(early)[100] == 0.0


def test_feeding_mini_batches_gives_the_same_flags_as_one_pass() -> None:
    values = _series()
    values[[900, 2500]] += 40.0
    whole = RangeRule().update(values)
    rule = RangeRule()
    parts = [
        rule.update(values[i : i + n]) for i, n in zip(range(0, len(values), 97), [97] * 100, strict=False)
    ]
    assert np.array_equal(np.concatenate(parts)[: len(values)], whole) and whole.sum() >= 1


def test_the_range_rule_skips_gaps_and_keeps_flagging_after_them() -> None:
    values = _series(600)
    values[400] = np.nan
    values[500] = values[:500][np.isfinite(values[:500])].max() + 100.0
    rule = RangeRule(tolerance=0.05, learning_rows=300)
    flags = np.concatenate([rule.update(values[:450]), rule.update(values[450:])])
    assert flags[400] == 0.0 and flags[500] == 1.0
    assert flags.sum() == 1.0
