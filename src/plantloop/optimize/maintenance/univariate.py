"""Streaming anomaly scores for one sensor, with no look-ahead (NAB-style detectors).

Per new value ``x_t`` the detector computes, from the past only:

1. two surprise measures against a trailing baseline of ``baseline_rows`` values that ends before the current
   short window: the point deviation ``|x_t − μ| / σ`` and the short-mean deviation
   ``|mean(x_{t−w+1..t}) − μ| / σ`` (``w = short_rows``), with σ floored at 0.1 % of the mean level;
2. the rarity of each surprise: its percentile rank among the last ``rank_rows`` surprises of the same kind,
   which makes scores comparable across sensors of any scale or noise level;
3. the anomaly score, the larger of the two rarities in [0, 1), and a refractory rule: a score that does not
   exceed every score of the previous ``refractory_rows`` values is halved, so one event raises one alarm;
4. the range rule of Numenta's NAB detector: a value beyond the range of every earlier value by more than
   ``range_tolerance`` of that range scores 1 (once ``range_learning_rows`` values have been seen).

:meth:`StreamingUnivariateDetector.update` accepts mini-batches of any size and gives the same scores as one
pass over the whole series (the state is a bounded history of values, surprises and scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class UnivariateConfig:
    """Window lengths in rows; the defaults are the ones evaluated on NAB."""

    baseline_rows: int = 2000
    short_rows: int = 10
    rank_rows: int = 500
    refractory_rows: int = 200
    min_baseline_rows: int = 10
    range_tolerance: float = 0.05
    range_learning_rows: int = 300


def _surprise(values: FloatArray, baseline_rows: int, short_rows: int, min_rows: int) -> FloatArray:
    """``|mean of last short_rows − trailing mean| / trailing std`` (trailing window ends before them)."""
    series = pd.Series(values)
    short_mean = series.rolling(short_rows, min_periods=1).mean()
    trailing = series.rolling(baseline_rows, min_periods=min_rows)
    mean = trailing.mean().shift(short_rows)
    std = trailing.std().shift(short_rows).clip(lower=0.0)
    level = series.abs().rolling(baseline_rows, min_periods=1).mean().shift(short_rows).fillna(0.0)
    scale = std + 1e-3 * level + 1e-9
    z = ((short_mean - mean).abs() / scale).fillna(0.0)
    return np.asarray(z.to_numpy(dtype=float), dtype=float)


def _rarity(surprise: FloatArray, rank_rows: int) -> FloatArray:
    """Percentile rank among the last ``rank_rows`` surprises, tie-broken by size; in [0, 1)."""
    ranks = pd.Series(surprise).rolling(rank_rows, min_periods=1).rank(pct=True).to_numpy(dtype=float)
    squashed = surprise / (1.0 + surprise)
    return np.asarray((ranks + 1e-3 * squashed) / 1.001, dtype=float)


def _refractory(scores: FloatArray, refractory_rows: int) -> FloatArray:
    series = pd.Series(scores)
    previous_max = series.rolling(refractory_rows, min_periods=1).max().shift(1).fillna(0.0)
    kept = np.where(series > previous_max, series, 0.5 * series)
    return np.asarray(kept, dtype=float)


@dataclass
class RangeRule:
    """Numenta's range rule: 1 where a value leaves the range of all earlier values by more than
    ``tolerance`` of that range, once ``learning_rows`` values have been seen, else 0 (any batch size)."""

    tolerance: float = 0.05
    learning_rows: int = 300
    seen: int = field(default=0, init=False)
    _low: float = field(default=np.inf, init=False, repr=False)
    _high: float = field(default=-np.inf, init=False, repr=False)

    def update(self, new: FloatArray) -> FloatArray:
        new = np.asarray(new, dtype=float).ravel()
        if len(new) == 0:
            return np.zeros(0)
        new = np.where(np.isfinite(new), new, np.nan)  # a gap neither alarms nor moves the range
        low = np.fmin.accumulate(np.concatenate([[self._low], new]))[:-1]
        high = np.fmax.accumulate(np.concatenate([[self._high], new]))[:-1]
        span = np.where(np.isfinite(high - low), high - low, 0.0)
        beyond = (new > high + self.tolerance * span) | (new < low - self.tolerance * span)
        learned = (self.seen + np.arange(len(new)) >= self.learning_rows) & np.isfinite(high)
        self._low = float(np.fmin(self._low, np.fmin.reduce(new)))
        self._high = float(np.fmax(self._high, np.fmax.reduce(new)))
        self.seen += len(new)
        return np.asarray(np.where(beyond & learned, 1.0, 0.0), dtype=float)


@dataclass
class StreamingUnivariateDetector:
    """Causal anomaly scores in [0, 1] for one sensor, fed value by value or in mini-batches."""

    config: UnivariateConfig = field(default_factory=UnivariateConfig)
    _values: FloatArray = field(default_factory=lambda: np.zeros(0), init=False, repr=False)
    _surprises: FloatArray = field(default_factory=lambda: np.zeros((0, 2)), init=False, repr=False)
    _scores: FloatArray = field(default_factory=lambda: np.zeros(0), init=False, repr=False)
    seen: int = field(default=0, init=False)
    _range_rule: RangeRule = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._range_rule = RangeRule(self.config.range_tolerance, self.config.range_learning_rows)

    def update(self, values: FloatArray | list[float]) -> FloatArray:
        """Score new values (in time order); returns one score per value."""
        new = np.asarray(values, dtype=float).ravel()
        if len(new) == 0:
            return np.zeros(0)
        if not np.isfinite(new).all():
            new = self._fill_gaps(new)
        c = self.config
        history = np.concatenate([self._values, new])
        n_new = len(new)
        surprises = np.column_stack(
            [
                _surprise(history, c.baseline_rows, 1, c.min_baseline_rows)[-n_new:],
                _surprise(history, c.baseline_rows, c.short_rows, c.min_baseline_rows)[-n_new:],
            ]
        )
        all_surprises = np.concatenate([self._surprises, surprises])
        n_old = len(self._surprises)
        rarity = np.max(
            [_rarity(all_surprises[:, k], c.rank_rows)[n_old:] for k in range(all_surprises.shape[1])], axis=0
        )
        all_scores = np.concatenate([self._scores, rarity])
        scores = _refractory(all_scores, c.refractory_rows)[len(self._scores) :]
        scores = np.maximum(scores, self._range_rule.update(new))
        keep_values = c.baseline_rows + c.short_rows
        self._values = history[-keep_values:]
        self._surprises = all_surprises[-c.rank_rows :]
        self._scores = all_scores[-c.refractory_rows :]
        self.seen += n_new
        return scores

    def _fill_gaps(self, new: FloatArray) -> FloatArray:
        """Carry the last finite value over NaN/inf readings (a gap is not evidence of an anomaly)."""
        last = self._values[-1] if len(self._values) else 0.0
        filled = pd.Series(np.where(np.isfinite(new), new, np.nan)).ffill().fillna(last)
        return np.asarray(filled.to_numpy(dtype=float), dtype=float)
