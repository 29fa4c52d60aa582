"""NAB (Numenta Anomaly Benchmark) standard-profile score of plantloop's streaming univariate detectors.

Protocol (NAB v1.1): every series of the corpus is streamed through a fresh detector, which outputs an
anomaly score per row without seeing later rows. Labels (``labels/combined_windows.json``) are read only by
the scorer in :mod:`.nab_scoring`, which picks one threshold per profile over the whole corpus, as NAB's
optimiser does, and normalises (null detector 0, perfect 100).

Two detectors are scored:

- The headline value is the score under *NAB's own protocol*: NAB's runner hands every detector the file's
  minimum and maximum (and its length, which sets the probationary period), and so does
  :func:`art_detector` — ARTime (:mod:`plantloop.optimize.maintenance.art`), the best detector on NAB's
  scoreboard, given the range as a known sensor range (what a plant has as an OPC UA EURange). This is the
  figure to compare with the published scoreboard, where every detector got the same.
- ``causal_standard`` is the score of :func:`stream_detector`, which learns the range from the stream
  itself: CAD OSE (:mod:`plantloop.optimize.maintenance.cad`, quantised on the range seen so far) combined
  by maximum with Numenta's range rule (:class:`~plantloop.optimize.maintenance.univariate.RangeRule`), fed
  in mini-batches of ``batch_rows`` (its scores do not depend on the batch size).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from plantloop.optimize.evaluation.nab_scoring import (
    FloatArray,
    Profile,
    best_threshold,
    file_score,
    prepare_file,
    probationary_length,
)
from plantloop.optimize.evaluation.result import DatasetFormatError, EvaluationResult
from plantloop.optimize.maintenance.art import ArtConfig, ArtDetector
from plantloop.optimize.maintenance.cad import ContextualAnomalyDetector
from plantloop.optimize.maintenance.univariate import RangeRule

WINDOWS_FILE = Path("labels") / "combined_windows.json"
SPOTLIGHT = "realKnownCause/machine_temperature_system_failure.csv"

#: Scores a whole series causally (row t may depend on rows ≤ t only).
Scorer = Callable[[FloatArray], FloatArray]
#: Called as ``progress(done, total)`` each time a detector has scored one series.
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class NabSeries:
    name: str
    values: FloatArray
    windows: list[tuple[int, int]]


def load_corpus(path: Path, names: Sequence[str] | None = None) -> list[NabSeries]:
    """Series and their label windows (as inclusive row ranges) from a NAB folder."""
    windows_path = path / WINDOWS_FILE
    if not windows_path.is_file():
        raise DatasetFormatError("nab", str(path), f"missing {WINDOWS_FILE}")
    try:
        labels: dict[str, list[list[str]]] = json.loads(windows_path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetFormatError("nab", str(path), f"{WINDOWS_FILE} is not JSON ({exc})") from exc
    chosen = sorted(labels) if names is None else list(names)
    corpus: list[NabSeries] = []
    for name in chosen:
        if name not in labels:
            raise DatasetFormatError("nab", str(path), f"{name} has no entry in {WINDOWS_FILE}")
        file = path / "data" / name
        if not file.is_file():
            raise DatasetFormatError("nab", str(path), f"missing data file data/{name}")
        frame = pd.read_csv(file)
        if list(frame.columns[:2]) != ["timestamp", "value"]:
            raise DatasetFormatError("nab", str(file), "expected columns timestamp,value")
        stamps = pd.to_datetime(frame["timestamp"]).to_numpy()
        rows: list[tuple[int, int]] = []
        for start, end in labels[name]:
            left = int(np.searchsorted(stamps, np.datetime64(pd.Timestamp(start)), side="left"))
            right = int(np.searchsorted(stamps, np.datetime64(pd.Timestamp(end)), side="right")) - 1
            if right >= left:
                rows.append((left, right))
        corpus.append(NabSeries(name, frame["value"].to_numpy(dtype=float), rows))
    if not corpus:
        raise DatasetFormatError("nab", str(path), "no series to score")
    return corpus


def stream_detector(values: FloatArray, batch_rows: int = 256) -> FloatArray:
    """Feed a series in mini-batches to a fresh CAD OSE detector and range rule; the larger score per row."""
    detector, range_rule = ContextualAnomalyDetector(), RangeRule()
    parts = [
        np.maximum(detector.update(batch), range_rule.update(batch))
        for batch in (values[i : i + batch_rows] for i in range(0, len(values), batch_rows))
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def windowed_gaussian(values: FloatArray, window_rows: int = 6400) -> FloatArray:
    """Baseline (NAB's "windowed Gaussian"): two-sided tail probability against the trailing window."""
    series = pd.Series(values)
    mean = series.rolling(window_rows, min_periods=2).mean().shift(1)
    std = series.rolling(window_rows, min_periods=2).std().shift(1)
    z = ((series - mean) / std).abs().replace(np.inf, np.nan).fillna(0.0).to_numpy(dtype=float)
    return np.asarray(1.0 - 2.0 * norm.sf(z), dtype=float)


def art_detector(values: FloatArray) -> FloatArray:
    """ARTime as NAB's runner sets it up: the file's min/max as the sensor range and NAB's probationary period
    (not causal on NAB's corpus, where the range and the length come from the whole file)."""
    finite = values[np.isfinite(values)]
    value_range = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    config = ArtConfig(value_range, probation_rows=max(2, probationary_length(len(values))))
    return ArtDetector(config).update(values)


def _run_scorers(
    corpus: list[NabSeries], scorers: Sequence[Scorer], workers: int, progress: ProgressFn | None
) -> list[dict[str, FloatArray]]:
    """Every scorer over every series, longest series first, in ``workers`` processes (then the scorers
    must be module-level functions, which a process can be sent). A series' scores never depend on the
    others, so the result is the same for any number of workers."""
    jobs = sorted(((i, s) for i in range(len(scorers)) for s in corpus), key=lambda job: -len(job[1].values))

    def scored() -> Iterator[tuple[tuple[int, str], FloatArray]]:
        if workers <= 1:
            yield from (((i, s.name), scorers[i](s.values)) for i, s in jobs)
            return
        with ProcessPoolExecutor(min(workers, len(jobs))) as pool:
            pending = {pool.submit(scorers[i], s.values): (i, s.name) for i, s in jobs}
            yield from ((pending[future], future.result()) for future in as_completed(pending))

    outputs: list[dict[str, FloatArray]] = [{} for _ in scorers]
    for done, ((i, name), values) in enumerate(scored(), 1):
        outputs[i][name] = np.asarray(values, dtype=float)
        if progress is not None:
            progress(done, len(jobs))
    return outputs


def _score(corpus: list[NabSeries], outputs: dict[str, FloatArray]) -> tuple[float, dict[str, object]]:
    """Normalised standard-profile score; threshold, raw score and the two other profiles as extras."""
    extras: dict[str, object] = {}
    standard = 0.0
    for profile in Profile:
        cost = profile.value
        files = [prepare_file(s.name, outputs[s.name], s.windows, cost) for s in corpus]
        result = best_threshold(files, cost)
        if profile is Profile.STANDARD:
            standard = result.normalized
            extras["threshold"] = round(result.threshold, 6)
            extras["raw_score"] = round(result.raw_score, 3)
            for f in files:
                if f.name == SPOTLIGHT:
                    extras["machine_temperature_raw"] = round(file_score(f, result.threshold, cost), 3)
        else:
            extras[cost.name] = round(result.normalized, 2)
    return standard, extras


def evaluate(
    path: Path,
    names: Sequence[str] | None = None,
    scorer: Scorer = art_detector,
    *,
    workers: int = 1,
    progress: ProgressFn | None = None,
) -> EvaluationResult:
    """Normalised NAB score (standard profile; the two other profiles in extras).

    With the default detector the extras also hold the standard score of the causal
    :func:`stream_detector` as ``causal_standard``. ``workers`` processes score the series in parallel (the
    result is the same); ``progress`` hears of every scored series."""
    corpus = load_corpus(Path(path), names)
    scorers = [scorer]
    if scorer is art_detector:
        scorers.append(stream_detector)
    outputs = _run_scorers(corpus, scorers, workers, progress)
    standard, scored = _score(corpus, outputs[0])
    extras: dict[str, object] = {"files": len(corpus), "windows": sum(len(s.windows) for s in corpus)}
    extras.update(scored)
    if len(outputs) > 1:
        extras["detector"] = "ARTime given each file's min/max and length, as NAB's runner does"
        causal, causal_extras = _score(corpus, outputs[1])
        extras["causal_detector"] = "CAD OSE + range rule, range learnt from the stream"
        extras["causal_standard"] = round(causal, 2)
        extras["causal_threshold"] = causal_extras["threshold"]
    return EvaluationResult("nab", "nab_standard", round(standard, 2), extras)


def evaluate_baseline(path: Path, names: Sequence[str] | None = None) -> EvaluationResult:
    """The same scoring for the windowed-Gaussian baseline."""
    return evaluate(path, names, windowed_gaussian)
