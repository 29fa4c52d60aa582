"""NAB evaluation on a few series: label windows, causal scoring and a sensible normalised score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from plantloop.optimize.evaluation import DatasetFormatError
from plantloop.optimize.evaluation.nab import evaluate, load_corpus

NAMES = [
    "realKnownCause/machine_temperature_system_failure.csv",
    "realKnownCause/ambient_temperature_system_failure.csv",
    "realKnownCause/ec2_request_latency_system_failure.csv",
    "artificialWithAnomaly/art_daily_jumpsup.csv",
    "artificialWithAnomaly/art_daily_flatmiddle.csv",
    "artificialNoAnomaly/art_daily_small_noise.csv",
]


def test_label_windows_become_row_ranges_that_cover_about_a_tenth_of_each_file(datasets: Path) -> None:
    corpus = load_corpus(datasets / "nab", NAMES)
    labels = json.loads((datasets / "nab" / "labels" / "combined_windows.json").read_text())
    for series in corpus:
        assert len(series.windows) == len(labels[series.name])
        covered = sum(right - left + 1 for left, right in series.windows)
        if series.windows:
            assert 0.08 * len(series.values) < covered < 0.11 * len(series.values)


def test_the_streaming_detector_scores_well_above_null_and_random_detectors(datasets: Path) -> None:
    folder = datasets / "nab"
    result = evaluate(folder, NAMES)
    rng = np.random.default_rng(0)
    random = evaluate(folder, NAMES, scorer=lambda values: rng.random(len(values)))
    assert result.metric == "nab_standard"
    assert result.extras["windows"] == 11
    assert 25 < result.value <= 100
    assert result.value > random.value + 15
    # NAB's own protocol (the file's range given to the detector) is reported beside the causal score,
    # for the default detector only.
    known = result.extras["known_range_standard"]
    assert isinstance(known, float) and known > random.value + 15
    assert "known_range_standard" not in random.extras


def test_scoring_in_worker_processes_gives_the_same_result_and_reports_each_series(datasets: Path) -> None:
    names = ["artificialWithAnomaly/art_daily_jumpsup.csv", "artificialNoAnomaly/art_daily_small_noise.csv"]
    seen: list[tuple[int, int]] = []
    parallel = evaluate(
        datasets / "nab", names, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    serial = evaluate(datasets / "nab", names)
    assert parallel == serial
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # two series × the detector and its known-range twin


def test_a_folder_without_nab_labels_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatasetFormatError):
        load_corpus(tmp_path)
