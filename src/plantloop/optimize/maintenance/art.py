"""Adaptive-resonance anomaly detector (ARTime), a streaming detector for one sensor of known range.

Written from the algorithm of ARTime — M. Hampton, 2021 (https://github.com/markNZed/ARTimeNAB.jl, Julia;
NAB v1.1 leaderboard, standard profile 74.9) — which builds on dual-vigilance fuzzy ART (L. E. Brito da
Silva, I. Elnabarawy, D. C. Wunsch, "Dual vigilance fuzzy adaptive resonance theory", Neural Networks 109,
2019). This is an independent Python implementation; ARTime's published constants are kept as the
defaults of :class:`ArtConfig`.

How it works:

1. **Downsample.** The rows come in blocks of ``step`` rows, sized so that the probation period holds
   ``windows_per_probation`` feature windows. A block becomes one point: its extreme farthest from a moving
   average (a spike up or down), or its mean when that extreme is within ``spike_share`` of the mean.
2. **Quantise** the point to ``levels`` levels of the sensor's range; a point within ``median_snap`` of the
   running median level is set to the median (noise around the usual level flattens out).
3. **Features**: the last ``window`` points as levels, and their shape — the Haar transform of the window
   scaled to [0, 1], itself scaled to [0, 1]. Twice ``window`` features, complement coded.
4. **Learn.** A dual-vigilance fuzzy ART network sorts the feature vectors into categories online. A
   category's match with a vector is (fuzzy overlap / category size)³ × (overlap on the newest level)². A
   vector matching a category at least at the *upper* vigilance refines every such category; one whose best
   match lies between the *lower* and upper vigilance becomes a new category of the same cluster; one
   below the lower vigilance opens a new cluster — the anomaly candidate.
5. **Probation.** The first ``probation_rows`` rows are learnt as a batch: the starting vigilance is the
   mean match of a trial network that is shown the probation's vectors least typical first.
6. **Adapt.** Every half probation, and one mask length after each anomaly, the upper vigilance becomes
   the mean match so far (at most ``max_upper_vigilance``); the lower one moves up towards the lowest
   recent match, or down by the recent shortfall below the upper vigilance — never below the mean match
   of past anomalies.
7. **Report** a new cluster with a confidence from how far its match falls below both vigilances and how
   badly the newest level matched, unless it comes within ``1.5 · window`` points of an anomaly or just
   after other new clusters — then only when its match is well below the last anomaly's.

Scores are 0 during the probation period. The detector needs the sensor's range up front (an OPC UA
EURange, a datasheet's span; in NAB, each file's minimum and maximum, which NAB's runner hands every
detector): values beyond it take the end levels, and a value that is not finite repeats the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ArtConfig:
    """The sensor's range and probation period, and ARTime's published constants."""

    value_range: tuple[float, float]
    probation_rows: int = 750
    window: int = 8
    windows_per_probation: int = 13
    levels: int = 80
    median_snap: float = 0.075
    spike_share: float = 0.1
    initial_vigilance: float = 0.80
    max_upper_vigilance: float = 0.97

    def __post_init__(self) -> None:
        low, high = self.value_range
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise ValueError(f"value_range must be finite with low <= high, got {self.value_range}")
        if self.window < 2 or self.window & (self.window - 1):
            raise ValueError(f"window must be a power of two of at least 2, got {self.window}")
        if self.probation_rows < 2:
            raise ValueError(f"probation_rows must be at least 2, got {self.probation_rows}")


@dataclass(frozen=True)
class Resonance:
    """What the network made of one vector: a new cluster or not, its best match and that match's
    similarity on the newest level."""

    novel: bool
    match: float
    level_match: float


class DualVigilanceArt:
    """Dual-vigilance fuzzy ART over vectors in [0, 1]^dim (complement coded inside).

    A fresh network holds one uncommitted category of ones and learns nothing from the first vector it is
    shown (that vector's match is 0). ``level_feature`` is the feature whose overlap weighs in every match.
    """

    def __init__(self, dim: int, level_feature: int, vigilance: float) -> None:
        self.dim, self.lower, self.upper = dim, vigilance, vigilance
        self._level = (level_feature, dim + level_feature)
        self._weights = np.empty((64, 2 * dim))
        self._size = 0

    @property
    def categories(self) -> int:
        return self._size

    def _add(self, vector: FloatArray) -> None:
        if self._size == len(self._weights):
            self._weights = np.concatenate([self._weights, np.empty_like(self._weights)])
        self._weights[self._size] = vector
        self._size += 1

    def present(self, features: FloatArray, *, learn: bool = True) -> Resonance:
        vector = np.concatenate([features, 1.0 - features])
        if self._size == 0:
            self._add(np.ones(2 * self.dim))
            return Resonance(novel=False, match=0.0, level_match=0.0)
        weights = self._weights[: self._size]
        overlap = np.minimum(vector, weights)
        size = weights.sum(axis=1)
        size[size == 0.0] = 0.001
        a, b = self._level
        level_size = weights[:, a] + weights[:, b]
        with np.errstate(invalid="ignore", divide="ignore"):
            level_match = np.nan_to_num((overlap[:, a] + overlap[:, b]) / level_size, nan=0.0)
        match = (overlap.sum(axis=1) / size) ** 3 * level_match**2
        best = int(np.argmax(match))
        result = Resonance(False, float(match[best]), float(level_match[best]))
        if not learn:
            return Resonance(True, result.match, result.level_match)
        if result.match >= self.upper:
            resonant = match >= self.upper
            weights[resonant] = overlap[resonant]
            return result
        self._add(vector)
        return result if result.match >= self.lower else Resonance(True, result.match, result.level_match)


def haar(window: FloatArray) -> FloatArray:
    """Full orthonormal Haar decomposition of a power-of-two window: the approximation, then the details
    from the coarsest level to the finest (each detail = later half minus earlier half, over √2)."""
    approximation = np.asarray(window, dtype=float)
    details: list[FloatArray] = []
    while len(approximation) > 1:
        even, odd = approximation[0::2], approximation[1::2]
        details.insert(0, (odd - even) * np.sqrt(0.5))
        approximation = (even + odd) * np.sqrt(0.5)
    return np.concatenate([approximation, *details])


def _unit(x: FloatArray) -> FloatArray:
    """Shifted to a minimum of 0 and scaled to a maximum of 1 (unless constant)."""
    shifted: FloatArray = x - x.min()
    top = float(shifted.max())
    return shifted / top if top != 0 else shifted


class _MedianLevel:
    """Running median of integer levels from a histogram: the median moves by at most one occupied level
    per new value (ARTime's approximation; exact for slowly moving data)."""

    def __init__(self, levels: int) -> None:
        self._counts = np.zeros(levels + 1, dtype=int)
        self._seen = 0
        self.level = 0
        self._below = 0
        self._above = 0

    def add(self, level: int) -> int:
        self._counts[level] += 1
        self._seen += 1
        if self._seen == 1:
            self.level = level
        if self.level > level:
            self._below += 1
        elif self.level < level:
            self._above += 1
        half = self._seen // 2
        if half < self._above:
            self._below += self._counts[self.level]
            self.level += 1
            while self._counts[self.level] == 0:
                self.level += 1
            self._above -= self._counts[self.level]
        elif half < self._below:
            self._above += self._counts[self.level]
            self.level -= 1
            while self._counts[self.level] == 0:
                self.level -= 1
            self._below -= self._counts[self.level]
        return self.level


class ArtDetector:
    """Streaming ARTime detector for one sensor: :meth:`update` scores new rows in [0, 1]."""

    def __init__(self, config: ArtConfig) -> None:
        c = self.config = config
        probation = c.probation_rows - c.probation_rows % 2
        self.step = max(1, probation // (c.window * c.windows_per_probation))
        self.trend = probation // self.step  # the probation period in points
        self.mask = int(c.window * 1.5)
        self.art = DualVigilanceArt(2 * c.window, 2 * c.window - 1, c.initial_vigilance)
        self._block: list[float] = []
        self._last_value = c.value_range[0]
        self._points = 0
        self._moving_average = 0.0
        self._median = _MedianLevel(c.levels)
        self._recent_levels = np.zeros(c.window)
        self._probation: list[FloatArray] = []
        # vigilance adaptation
        self._recent_matches = np.ones(self.trend // 2 + 1)
        self._recent_shortfalls = np.zeros(self.trend + 1)
        self._match_sum, self._match_count = 0.0, 0
        self._anomaly_matches: list[float] = []
        self._last_anomaly, self._last_anomaly_match, self._last_adapted = 0, 0.0, 0
        self._masked_by_novelty = False
        self._familiar_run = 0

    def update(self, values: FloatArray) -> FloatArray:
        return np.array([self._row(float(v)) for v in np.asarray(values, dtype=float)], dtype=float)

    def _row(self, value: float) -> float:
        if not np.isfinite(value):
            value = self._last_value
        self._last_value = value
        self._block.append(value)
        if len(self._block) < self.step:
            return 0.0
        block, self._block = np.array(self._block), []
        self._points += 1
        return self._point(self._downsample(block))

    def _downsample(self, block: FloatArray) -> float:
        c = self.config
        mean, high, low = float(block.mean()), float(block.max()), float(block.min())
        if self._points == 1:
            self._moving_average = mean
        self._moving_average = (self._moving_average + mean) / 2
        point = low if abs(high - self._moving_average) < abs(low - self._moving_average) else high
        if abs(point - mean) < c.spike_share * mean:
            point = mean
        lo, hi = c.value_range
        scaled = (min(hi, max(lo, point)) - lo) / (hi - lo) if hi > lo else 0.0
        level = int(np.round(scaled * c.levels))
        median = self._median.add(level)
        snapped = median if abs(level / c.levels - median / c.levels) < c.median_snap else level
        return snapped / c.levels

    def _point(self, level: float) -> float:
        w = self.config.window
        self._recent_levels = np.append(self._recent_levels[1:], level)
        features = np.zeros(2 * w)
        if self._points >= w:
            features = np.concatenate([_unit(haar(_unit(self._recent_levels))), self._recent_levels])
        i = self._points
        if i > self.trend:
            return self._detect(features, i)
        self._probation.append(features)
        if i == self.trend:
            vigilance = self._starting_vigilance(np.array(self._probation[w - 1 :]))
            self.art.lower = self.art.upper = vigilance
            for k, learnt in enumerate(self._probation, 1):
                self._detect(learnt, k)
            self._probation = []
        return 0.0

    def _starting_vigilance(self, vectors: FloatArray) -> float:
        """Mean match (over its second half) of a trial network shown the vectors least typical first:
        typicality is a vector's summed cosine similarity to the others."""
        c = self.config
        if len(vectors) == 0:
            return c.initial_vigilance
        norms = np.linalg.norm(vectors, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            similarity = vectors @ vectors.T / np.outer(norms, norms)
        zero = norms == 0.0
        similarity[zero, :] = 1.0 - norms[None, :]
        similarity[:, zero] = 1.0 - norms[:, None]
        np.fill_diagonal(similarity, 1.0)
        trial = DualVigilanceArt(2 * c.window, 2 * c.window - 1, c.initial_vigilance)
        order = np.argsort(similarity.sum(axis=0), kind="stable")
        matches = [trial.present(vectors[j]).match for j in order]
        tail = matches[self.trend // 2 - 1 :]
        return float(np.mean(tail)) if tail else c.initial_vigilance

    def _detect(self, features: FloatArray, i: int) -> float:
        art, mask = self.art, self.mask
        since_anomaly = i - self._last_anomaly
        adapt = since_anomaly == mask or i - self._last_adapted >= self.trend // 2
        near_anomaly = since_anomaly <= mask
        if i > self.trend + mask and self._masked_by_novelty and self._familiar_run >= mask:
            self._masked_by_novelty = False
        learn = i >= self.config.window  # before a full window the vectors are placeholders
        resonance = art.present(features, learn=learn)
        novel, match = resonance.novel or not learn, resonance.match
        self._familiar_run = 0 if novel else self._familiar_run + 1
        self._match_sum += match
        self._match_count += 1
        self._recent_matches = np.append(self._recent_matches[1:], match)
        self._recent_shortfalls = np.append(self._recent_shortfalls[1:], art.upper - match)
        if since_anomaly < mask and self._anomaly_matches and match < self._anomaly_matches[-1]:
            self._anomaly_matches[-1] = match
        masked = self._masked_by_novelty or near_anomaly
        well_below = match < self._last_anomaly_match * (0.90 if near_anomaly else 0.70)
        score = 0.0
        if i > self.trend and novel and (not masked or well_below):
            score = self._confidence(resonance)
            self._anomaly_matches.append(match)
            self._last_anomaly_match, self._last_anomaly = match, i
        self._masked_by_novelty = novel or self._masked_by_novelty
        if i > self.trend and adapt:
            self._adapt_vigilance(i)
        return score

    def _adapt_vigilance(self, i: int) -> None:
        art = self.art
        upper = min(self.config.max_upper_vigilance, self._match_sum / self._match_count)
        lowest = float(self._recent_matches.min())
        if art.lower <= lowest:
            lower = art.lower + (lowest - art.lower) * 0.19
        else:
            shortfall = 0.0
            if i > 2 * self.trend:
                short = self._recent_shortfalls[self._recent_shortfalls > 0.05]
                if len(short):
                    shortfall = float(np.minimum(0.37, short).mean())
            lower = art.lower - max(0.01, shortfall) / 2
            if self._anomaly_matches:
                lower = max(float(np.mean(self._anomaly_matches)), lower)
        art.lower, art.upper = min(upper, lower), upper
        self._last_adapted = i
        self._masked_by_novelty = True

    def _confidence(self, resonance: Resonance) -> float:
        match = min(0.999, resonance.match)
        below_upper = (self.art.upper - match) / (1 - match)
        below_lower = (self.art.lower - match) / (1 - match)
        score = below_upper * 0.35 + below_lower * 0.65 + (1.0 - resonance.level_match) * 1.5
        return round(min(1.0, score), 6)
