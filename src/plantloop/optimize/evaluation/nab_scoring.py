"""NAB scoring: windows, scaled-sigmoid weights, profile costs, corpus threshold sweep and normalisation.

A faithful port of ``nab/sweeper.py`` (Numenta Anomaly Benchmark v1.1):

- The first ``min(floor(0.15·N), 750)`` rows of a file are probationary and never scored.
- A row inside a window at relative position ``y`` (−1 = left edge, → 0 = right edge) is worth
  ``tpWeight · σ(y) / σ(−1)`` with ``σ(y) = 2/(1+e^(5y)) − 1``; only the best (earliest) detection of a window
  counts, and a window with no detection costs ``−fnWeight``.
- A detection outside every window costs ``−fpWeight`` if no window precedes it, otherwise
  ``fpWeight · σ(d/(w−1))`` with ``d`` the distance past the preceding window's right edge and ``w`` its
  width.
- One threshold per detector and profile is chosen to maximise the corpus-wide raw score (rows with
  ``score ≥ threshold`` are detections), and the result is normalised so that the null detector scores 0 and
  the perfect detector 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CostProfile:
    """The cost matrix of one NAB application profile."""

    name: str
    tp_weight: float
    fn_weight: float
    fp_weight: float


class Profile(Enum):
    """NAB's three application profiles (``config/profiles.json``)."""

    STANDARD = CostProfile("standard", 1.0, 1.0, 0.11)
    REWARD_LOW_FP = CostProfile("reward_low_FP_rate", 1.0, 1.0, 0.22)
    REWARD_LOW_FN = CostProfile("reward_low_FN_rate", 1.0, 2.0, 0.11)


def probationary_length(n_rows: int, probation_fraction: float = 0.15) -> int:
    """Rows at the start of a file that are not scored: ``min(floor(0.15·N), 0.15·5000)``."""
    return int(min(math.floor(probation_fraction * n_rows), probation_fraction * 5000))


def scaled_sigmoid(position: float) -> float:
    """NAB's ``scaledSigmoid``: ``2/(1+e^(5y)) − 1``, and −1 for positions beyond 3 (far after a window)."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


@dataclass(frozen=True)
class ScoredFile:
    """Per-row scoring material of one file, independent of the threshold.

    ``row_weight`` is the weighted score a detection on that row would earn; ``row_window`` is the index of
    the window the row lies in, −1 outside windows, −2 in the probationary period (never scored).
    """

    name: str
    anomaly_scores: FloatArray
    row_weight: FloatArray
    row_window: npt.NDArray[np.int64]
    n_windows: int


def prepare_file(
    name: str,
    anomaly_scores: FloatArray,
    windows: list[tuple[int, int]],
    profile: CostProfile,
) -> ScoredFile:
    """Precompute the weight each row would earn if detected. ``windows`` are inclusive row-index ranges."""
    n = len(anomaly_scores)
    weight = np.zeros(n)
    window_of = np.full(n, -1, dtype=np.int64)
    max_tp = scaled_sigmoid(-1.0)
    ordered = sorted(windows)
    k = 0
    prev_right: int | None = None
    prev_width = 0.0
    i = 0
    while i < n:
        if k < len(ordered) and i == ordered[k][0]:
            left, right = ordered[k]
            width = float(right - left + 1)
            for j in range(left, min(right, n - 1) + 1):
                position = -(right - j + 1) / width
                weight[j] = scaled_sigmoid(position) * profile.tp_weight / max_tp
                window_of[j] = k
            prev_right, prev_width = right, width
            k += 1
            i = right + 1
            continue
        if prev_right is None:
            weight[i] = -1.0 * profile.fp_weight
        else:
            denominator = max(prev_width - 1.0, 1.0)
            weight[i] = scaled_sigmoid(abs(prev_right - i) / denominator) * profile.fp_weight
        i += 1
    window_of[: probationary_length(n)] = -2
    return ScoredFile(name, np.asarray(anomaly_scores, dtype=float), weight, window_of, len(ordered))


def file_score(scored: ScoredFile, threshold: float, profile: CostProfile) -> float:
    """Raw NAB score of one file at one threshold."""
    detected = scored.anomaly_scores >= threshold
    total = 0.0
    outside = detected & (scored.row_window == -1)
    total += float(scored.row_weight[outside].sum())
    for k in range(scored.n_windows):
        hits = detected & (scored.row_window == k)
        total += float(scored.row_weight[hits].max()) if hits.any() else -profile.fn_weight
    return total


@dataclass(frozen=True)
class CorpusScore:
    """The best corpus-wide raw score, its threshold and the normalised NAB score."""

    threshold: float
    raw_score: float
    null_score: float
    perfect_score: float
    normalized: float


def best_threshold(files: list[ScoredFile], profile: CostProfile) -> CorpusScore:
    """Sweep every distinct anomaly score as threshold (descending) and keep the best corpus score.

    Incremental: lowering the threshold turns rows on one score level at a time; a window's score is the best
    weight among its detected rows and starts at ``−fnWeight``.
    """
    n_windows_total = sum(f.n_windows for f in files)
    null = -profile.fn_weight * n_windows_total
    perfect = profile.tp_weight * n_windows_total
    scores = np.concatenate([f.anomaly_scores for f in files])
    weights = np.concatenate([f.row_weight for f in files])
    offsets = np.cumsum([0] + [f.n_windows for f in files[:-1]])
    windows = np.concatenate(
        [
            np.where(f.row_window >= 0, f.row_window + off, f.row_window)
            for f, off in zip(files, offsets, strict=True)
        ]
    )
    keep = windows != -2
    scores, weights, windows = scores[keep], weights[keep], windows[keep]
    order = np.argsort(-scores, kind="stable")
    scores, weights, windows = scores[order], weights[order], windows[order]
    window_best = np.full(n_windows_total, -profile.fn_weight)
    total = null
    best_total, best_thr = null, float("inf")
    n = len(scores)
    i = 0
    while i < n:
        level = scores[i]
        while i < n and scores[i] == level:
            w = windows[i]
            if w == -1:
                total += weights[i]
            elif weights[i] > window_best[w]:
                total += weights[i] - window_best[w]
                window_best[w] = weights[i]
            i += 1
        if total > best_total:
            best_total, best_thr = total, float(level)
    normalized = 100.0 * (best_total - null) / (perfect - null) if perfect != null else 0.0
    return CorpusScore(best_thr, best_total, null, perfect, normalized)
