"""Contextual Anomaly Detector (CAD OSE), a streaming detector for one sensor.

Written from the description and reference code of the detector: M. Smirnov, "Contextual Anomaly Detector —
Open Source Edition" (https://github.com/smirmik/CAD), as run in Numenta's NAB
(``nab/detectors/context_ose/`` in https://github.com/numenta/NAB; NAB v1.1 leaderboard, standard profile
69.9). The published default parameters are kept: ``base_threshold`` 0.75, ``max_left_semi_context_length``
7, ``max_active_neurons`` 15, ``value_bits`` 3 and a rest period of a fifth of NAB's probationary period
(``rest_rows`` 150, the period's upper bound of 750 rows).

How it works, per new value:

1. The value is quantised to ``2**value_bits`` levels of the sensor's range and each bit becomes a *fact*.
2. A *context* pairs a set of facts (the left semi-context: the previous step's facts and the previously
   active contexts, "neurons") with the set of facts that followed (the right semi-context). Every step stores
   the new zero-level context (previous facts → current facts) and, when it is new, the intersections of
   stored contexts with the stream (their crossing left and right parts) as further contexts.
3. Contexts whose left part matched the previous step are *selected*; those whose right part matches the
   current facts too are *active* and feed the next step (the ``max_active_neurons`` most often active).
4. The prediction for the next step is the right part of the fully matched contexts with the best record of
   predicting.
5. When the current value held a fact that was not predicted, the anomaly score is
   ``(1 − active/selected + new contexts/potential new contexts) / 2``, else 0; a score is reported only when
   no score of the last ``rest_rows`` steps reached ``base_threshold`` (one alarm per event).

Two deviations from the NAB run keep the detector causal: NAB's runner quantised with each file's minimum and
maximum over the whole file, and sized the rest period by the file's length. Here the range is learned from
the first ``range_learning_rows`` values (750, NAB's longest probationary period; current value included, so
it grows during that time) and then kept, values beyond it taking the end levels; or it is a known sensor
range (``value_range``). The rest period is fixed. Ties between equally often active contexts are broken,
as in the reference run, by the Python 2 hashes of their fact tuples, so the choice is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_SENSOR_BASE = 65536  # fact ids: 65536 + 2·bit + value of the bit
_NEURON_BASE = 2**31  # fact ids of active contexts: 2**31 + context id
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class CadConfig:
    """The published CAD OSE defaults (the rest period as in NAB for files of 5,000 rows or more)."""

    base_threshold: float = 0.75
    rest_rows: int = 150
    max_left_semi_context_length: int = 7
    max_active_neurons: int = 15
    value_bits: int = 3
    value_range: tuple[float, float] | None = None
    range_learning_rows: int = 750


def _signed64(x: int) -> int:
    x &= _MASK
    return x - (1 << 64) if x >= 1 << 63 else x


def _py2_tuple_hash(items: tuple[int, ...]) -> int:
    """CPython 2.7's 64-bit hash of a tuple of small integers (the reference run's tie-break)."""
    x, mult = 0x345678, 1000003
    remaining = len(items)
    for item in items:
        remaining -= 1
        y = -2 if item == -1 else item
        x = _signed64((x ^ y) * mult)
        mult = _signed64(mult + 82520 + 2 * remaining)
    x = _signed64(x + 97531)
    return -2 if x == -1 else x


class _Column:
    """A growing one-dimensional integer array (amortised appends, a view of the filled part)."""

    def __init__(self) -> None:
        self._data: npt.NDArray[np.int64] = np.zeros(64, dtype=np.int64)
        self.size = 0

    def append(self, value: int) -> None:
        if self.size == len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
        self._data[self.size] = value
        self.size += 1

    @property
    def view(self) -> npt.NDArray[np.int64]:
        return self._data[: self.size]


Pair = tuple[tuple[int, ...], tuple[int, ...]]


class _ContextMemory:
    """Contexts split into left and right semi-contexts, indexed by fact (the reference's ContextOperator).

    The per-context records are NumPy columns, so matching every stored context against the stream is a few
    vectorised operations per step rather than a Python loop over the contexts.
    """

    def __init__(self, max_left_length: int) -> None:
        self.max_left_length = max_left_length
        self.left_ids: dict[tuple[int, ...], int] = {}
        self.right_ids: dict[tuple[int, ...], int] = {}
        self.left_facts: list[tuple[int, ...]] = []
        self.right_facts: list[tuple[int, ...]] = []
        self.left_size, self.right_size = _Column(), _Column()
        self.left_hash: list[int] = []
        self.left_by_fact: dict[int, _Column] = {}
        self.right_by_fact: dict[int, _Column] = {}
        self.pair_ids: dict[tuple[int, int], int] = {}
        self.ctx_left, self.ctx_right = _Column(), _Column()
        self.ctx_left_hash, self.ctx_right_hash = _Column(), _Column()
        self.zero_level = _Column()
        # per context: facts of the right part offered while the left part matched, and those that came
        self.selected_weight = np.zeros(64, dtype=np.int64)
        self.matched_weight = np.zeros(64, dtype=np.int64)
        self.activations = np.zeros(64, dtype=np.int64)
        self.previous_group: tuple[int, ...] = ()
        # facts of each left semi-context found in the last left group
        self.left_count = np.zeros(0, dtype=np.int64)
        # The reference marks "no new context" with False, which equals context id 0 in its comparison.
        self.new_context_id = 0

    def store(self, left: tuple[int, ...], right: tuple[int, ...], zero_level: bool) -> int:
        """Store a context if it is not yet known; 1 if it was new."""
        left_id = self.left_ids.get(left)
        if left_id is None:
            left_id = self.left_ids[left] = len(self.left_facts)
            self.left_facts.append(left)
            self.left_size.append(len(left))
            self.left_hash.append(_py2_tuple_hash(left))
            for fact in left:
                self.left_by_fact.setdefault(fact, _Column()).append(left_id)
        right_id = self.right_ids.get(right)
        if right_id is None:
            right_id = self.right_ids[right] = len(self.right_facts)
            self.right_facts.append(right)
            self.right_size.append(len(right))
            for fact in right:
                self.right_by_fact.setdefault(fact, _Column()).append(right_id)
        context_id = self.pair_ids.get((left_id, right_id))
        if context_id is not None:
            if zero_level:
                self.zero_level.view[context_id] = 1
            return 0
        context_id = self.pair_ids[(left_id, right_id)] = self.ctx_left.size
        self.ctx_left.append(left_id)
        self.ctx_right.append(right_id)
        self.ctx_left_hash.append(self.left_hash[left_id])
        self.ctx_right_hash.append(_py2_tuple_hash(right))
        self.zero_level.append(1 if zero_level else 0)
        if context_id == len(self.activations):
            grow = np.zeros_like(self.activations)
            self.selected_weight = np.concatenate([self.selected_weight, grow])
            self.matched_weight = np.concatenate([self.matched_weight, grow])
            self.activations = np.concatenate([self.activations, grow])
        if zero_level:
            self.new_context_id = context_id
        return 1

    @staticmethod
    def _count(facts: tuple[int, ...], by_fact: dict[int, _Column], n: int) -> npt.NDArray[np.int64]:
        parts = [by_fact[f].view for f in facts if f in by_fact]
        if not parts:
            return np.zeros(n, dtype=np.int64)
        return np.bincount(np.concatenate(parts), minlength=n).astype(np.int64)

    def cross_right(self, facts: tuple[int, ...], new_zero_level: bool) -> tuple[list[int], int, list[Pair]]:
        """Update the selected contexts' records; the active contexts (most often active last), how many
        contexts were selected, and the candidate new contexts."""
        n = self.ctx_left.size
        ctx_left, ctx_right = self.ctx_left.view, self.ctx_right.view
        left_count = np.zeros(len(self.left_facts), dtype=np.int64)
        left_count[: len(self.left_count)] = self.left_count
        right_count = self._count(facts, self.right_by_fact, len(self.right_facts))
        lc, rc = left_count[ctx_left], right_count[ctx_right]
        left_full = (lc > 0) & (lc == self.left_size.view[ctx_left])
        right_size = self.right_size.view[ctx_right]
        right_full = rc == right_size
        eligible = np.ones(n, dtype=bool)
        if self.new_context_id < n:
            eligible[self.new_context_id] = False
        selected = left_full & eligible
        self.selected_weight[:n][selected] += right_size[selected]
        matched = selected & (rc > 0)
        self.matched_weight[:n][matched] += rc[matched]
        active = matched & right_full
        self.activations[:n][active] += 1
        active_ids = np.flatnonzero(active)
        order = np.lexsort(
            (
                self.ctx_right_hash.view[active_ids],
                self.ctx_left_hash.view[active_ids],
                self.activations[active_ids],
            )
        )
        candidates: list[Pair] = []
        if new_zero_level:
            wanted = (
                eligible
                & (lc > 0)
                & (rc > 0)
                & ~active
                & (self.zero_level.view == 1)
                & (lc <= self.max_left_length)
            )
            ids = np.flatnonzero(wanted)
            ids = ids[np.lexsort((ids, ctx_left[ids]))]  # the reference's order: by left part, then context
            group, current = self.previous_group, set(facts)
            for context_id in ids.tolist():
                left_set = set(self.left_facts[int(ctx_left[context_id])])
                right = self.right_facts[int(ctx_right[context_id])]
                candidates.append(
                    (tuple(f for f in group if f in left_set), tuple(f for f in right if f in current))
                )
        self.new_context_id = 0
        return active_ids[order].tolist(), int(selected.sum()), candidates

    def cross_left(self, group: tuple[int, ...]) -> set[int]:
        """Cross the new left group; the facts predicted by the best-predicting fully matched contexts."""
        self.previous_group = group
        self.left_count = self._count(group, self.left_by_fact, len(self.left_facts))
        n = self.ctx_left.size
        ctx_left = self.ctx_left.view
        lc = self.left_count[ctx_left]
        full = np.flatnonzero((lc > 0) & (lc == self.left_size.view[ctx_left]))
        if len(full) == 0:
            return set()
        offered = self.selected_weight[:n][full]
        weight = np.where(offered > 0, self.matched_weight[:n][full] / np.maximum(offered, 1), 0.0)
        chosen = full[weight == weight.max()]
        predicted: set[int] = set()
        for right_id in np.unique(self.ctx_right.view[chosen]).tolist():
            predicted.update(self.right_facts[right_id])
        return predicted


@dataclass
class ContextualAnomalyDetector:
    """CAD OSE anomaly scores in [0, 1] for one sensor, fed value by value or in mini-batches."""

    config: CadConfig = field(default_factory=CadConfig)
    seen: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._memory = _ContextMemory(self.config.max_left_semi_context_length)
        self._left_group: tuple[int, ...] = ()
        self._predicted: set[int] = set()
        self._recent: list[float] = [
            1.0
        ]  # the reference starts its score history with 1: a first rest period
        self._low = np.inf
        self._high = -np.inf
        self._last = 0.0
        self._counted = 0

    def update(self, values: FloatArray | list[float]) -> FloatArray:
        """Score new values (in time order); returns one score per value."""
        new = np.asarray(values, dtype=float).ravel()
        out = np.zeros(len(new))
        for i, value in enumerate(new.tolist()):
            if not np.isfinite(value):
                value = self._last  # a gap is not evidence of an anomaly: carry the last reading
            self._last = value
            out[i] = self._score(value)
        self.seen += len(new)
        return out

    def _facts(self, value: float) -> tuple[int, ...]:
        c = self.config
        levels = 2**c.value_bits - 1
        if c.value_range is not None:
            low, high = c.value_range
        else:
            if self._counted < c.range_learning_rows:
                self._low, self._high = min(self._low, value), max(self._high, value)
                self._counted += 1
            low, high = self._low, self._high
        full = high - low if high > low else float(levels)
        level = min(max(int((value - low) / (full / levels)), 0), levels)
        return tuple(_SENSOR_BASE + 2 * bit + ((level >> bit) & 1) for bit in range(c.value_bits))

    def _score(self, value: float) -> float:
        c = self.config
        facts = self._facts(value)
        surprised = any(f not in self._predicted for f in facts)
        self._predicted, active_share, new_share = self._step(facts)
        current = (1.0 - active_share + new_share) / 2.0 if surprised else 0.0
        reported = current if max(self._recent) < c.base_threshold else 0.0
        self._recent.append(current)
        if len(self._recent) > c.rest_rows:
            del self._recent[0]
        return reported

    def _step(self, facts: tuple[int, ...]) -> tuple[set[int], float, float]:
        memory = self._memory
        potential: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        new_zero_level = False
        if self._left_group:
            potential.add((self._left_group, facts))
            new_zero_level = memory.store(self._left_group, facts, zero_level=True) == 1
        active, selected, candidates = memory.cross_right(facts, new_zero_level)
        potential.update(candidates)
        active_share = len(active) / selected if selected > 0 else 0.0
        neurons = {_NEURON_BASE + a for a in active[-self.config.max_active_neurons :]}
        self._left_group = tuple(sorted(set(facts) | neurons))
        added = sum(memory.store(left, right, zero_level=False) for left, right in candidates)
        predicted = memory.cross_left(self._left_group)
        added += 1 if new_zero_level else 0
        new_share = added / len(potential) if new_zero_level and potential else 0.0
        return predicted, active_share, new_share
