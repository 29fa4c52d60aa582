"""Run rules for control charts: the eight Nelson rules and the four Western Electric rules.

Every rule looks at the standardised series ``z = (x − centre) / σ`` (σ per point, so charts with varying
subgroup sizes — p and u charts — use the same rules) and reports the index of the point that completes a
violating pattern, once per pattern start (a long run is one violation, not one per point).

========  =================================================================  =================
rule      pattern                                                            Western Electric
========  =================================================================  =================
nelson_1  one point beyond 3σ                                                rule 1
nelson_2  nine points in a row on the same side of the centre line           (eight: rule 4)
nelson_3  six points in a row steadily increasing or decreasing              —
nelson_4  fourteen points in a row alternating up and down                   —
nelson_5  two of three points beyond 2σ on the same side                     rule 2
nelson_6  four of five points beyond 1σ on the same side                     rule 3
nelson_7  fifteen points in a row within 1σ (stratification)                 —
nelson_8  eight points in a row with none within 1σ (mixture)                —
========  =================================================================  =================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class RuleSet(StrEnum):
    NELSON = "nelson"
    WESTERN_ELECTRIC = "western_electric"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    #: Boolean per point: a violating pattern is complete at this point.
    test: Callable[[FloatArray], BoolArray]


def _windows(flags: BoolArray, length: int) -> npt.NDArray[np.int64]:
    """Trailing count of true flags over ``length`` points (at index i: points i−length+1 … i)."""
    csum = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
    idx = np.arange(1, len(flags) + 1)
    return np.asarray(csum[idx] - csum[np.maximum(idx - length, 0)], dtype=np.int64)


def _k_of_n(flags: BoolArray, k: int, n: int) -> BoolArray:
    counts = _windows(flags, n)
    # The current point must itself be one of the k (so the pattern completes here).
    return np.asarray((counts >= k) & flags, dtype=bool)


def _run(flags: BoolArray, length: int) -> BoolArray:
    return np.asarray(_windows(flags, length) >= length, dtype=bool)


def _beyond_3(z: FloatArray) -> BoolArray:
    return np.asarray(np.abs(z) > 3.0, dtype=bool)


def _same_side(length: int) -> Callable[[FloatArray], BoolArray]:
    def test(z: FloatArray) -> BoolArray:
        return np.asarray(_run(z > 0, length) | _run(z < 0, length), dtype=bool)

    return test


def _trend(z: FloatArray) -> BoolArray:
    steps = np.diff(z)
    up = np.concatenate([[False], steps > 0])
    down = np.concatenate([[False], steps < 0])
    return np.asarray(_run(up, 5) | _run(down, 5), dtype=bool)  # 6 points = 5 steps


def _alternating(z: FloatArray) -> BoolArray:
    steps = np.sign(np.diff(z))
    flips = np.concatenate([[False, False], (steps[1:] * steps[:-1]) < 0])
    return _run(flips, 12)  # 14 points = 13 steps = 12 sign changes


def _two_of_three(z: FloatArray) -> BoolArray:
    return np.asarray(_k_of_n(z > 2.0, 2, 3) | _k_of_n(z < -2.0, 2, 3), dtype=bool)


def _four_of_five(z: FloatArray) -> BoolArray:
    return np.asarray(_k_of_n(z > 1.0, 4, 5) | _k_of_n(z < -1.0, 4, 5), dtype=bool)


def _stratification(z: FloatArray) -> BoolArray:
    return _run(np.abs(z) < 1.0, 15)


def _mixture(z: FloatArray) -> BoolArray:
    return _run(np.abs(z) > 1.0, 8)


NELSON: tuple[Rule, ...] = (
    Rule("nelson_1", "one point beyond 3 sigma", _beyond_3),
    Rule("nelson_2", "nine points in a row on one side of the centre line", _same_side(9)),
    Rule("nelson_3", "six points in a row steadily increasing or decreasing", _trend),
    Rule("nelson_4", "fourteen points in a row alternating up and down", _alternating),
    Rule("nelson_5", "two of three points beyond 2 sigma on one side", _two_of_three),
    Rule("nelson_6", "four of five points beyond 1 sigma on one side", _four_of_five),
    Rule("nelson_7", "fifteen points in a row within 1 sigma", _stratification),
    Rule("nelson_8", "eight points in a row outside 1 sigma on both sides", _mixture),
)

WESTERN_ELECTRIC: tuple[Rule, ...] = (
    Rule("we_1", "one point beyond 3 sigma", _beyond_3),
    Rule("we_2", "two of three points beyond 2 sigma on one side", _two_of_three),
    Rule("we_3", "four of five points beyond 1 sigma on one side", _four_of_five),
    Rule("we_4", "eight points in a row on one side of the centre line", _same_side(8)),
)

RULES: dict[RuleSet, tuple[Rule, ...]] = {RuleSet.NELSON: NELSON, RuleSet.WESTERN_ELECTRIC: WESTERN_ELECTRIC}


@dataclass(frozen=True)
class RuleHit:
    rule: str
    description: str
    index: int


def evaluate_rules(z: FloatArray, rules: tuple[Rule, ...] | RuleSet = RuleSet.NELSON) -> list[RuleHit]:
    """Violations in ``z`` (standardised points, NaN = no point), one per pattern onset, in index order."""
    chosen = RULES[rules] if isinstance(rules, RuleSet) else rules
    z = np.asarray(z, dtype=float)
    valid = np.isfinite(z)
    dense = z[valid]
    positions = np.flatnonzero(valid)
    hits: list[RuleHit] = []
    for rule in chosen:
        flags = rule.test(dense) if len(dense) else np.zeros(0, dtype=bool)
        onset = flags & ~np.concatenate([[False], flags[:-1]])
        hits += [RuleHit(rule.id, rule.description, int(positions[i])) for i in np.flatnonzero(onset)]
    hits.sort(key=lambda h: (h.index, h.rule))
    return hits
