"""NAB evaluation on a few series: label windows, ARTime reproducing its published per-file scores, the
causal detector beside it, and sensible normalised scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantloop.optimize.evaluation import DatasetFormatError
from plantloop.optimize.evaluation.nab import art_detector, evaluate, load_corpus
from plantloop.optimize.evaluation.nab_scoring import Profile, file_score, prepare_file

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


def test_artime_reproduces_its_published_per_file_scores_at_the_published_threshold(datasets: Path) -> None:
    published = pd.read_csv(datasets / "nab" / "published_per_file_scores.csv", keep_default_na=False)
    artime = published[(published.Detector == "ARTime") & (published.Profile == "standard")].set_index("File")
    threshold = float(artime.Threshold.iloc[0])
    cost = Profile.STANDARD.value
    for series in load_corpus(datasets / "nab", NAMES):
        prepared = prepare_file(series.name, art_detector(series.values), series.windows, cost)
        expected = float(artime.loc[series.name, "Score"])
        assert file_score(prepared, threshold, cost) == pytest.approx(expected, abs=1e-3)


def test_the_detectors_score_well_above_null_and_random_detectors(datasets: Path) -> None:
    folder = datasets / "nab"
    result = evaluate(folder, NAMES)
    rng = np.random.default_rng(0)
    random = evaluate(folder, NAMES, scorer=lambda values: rng.random(len(values)))
    assert result.metric == "nab_standard"
    assert result.extras["windows"] == 11
    assert 25 < result.value <= 100
    assert result.value > random.value + 15
    # The causal detector (range learnt from the stream) is reported beside the default one only.
    causal = result.extras["causal_standard"]
    assert isinstance(causal, float) and causal > random.value + 15
    assert "causal_standard" not in random.extras and "detector" not in random.extras
    assert "min/max" in str(result.extras["detector"])  # the protocol is named in the output


def test_scoring_in_worker_processes_gives_the_same_result_and_reports_each_series(datasets: Path) -> None:
    names = ["artificialWithAnomaly/art_daily_jumpsup.csv", "artificialNoAnomaly/art_daily_small_noise.csv"]
    seen: list[tuple[int, int]] = []
    parallel = evaluate(
        datasets / "nab", names, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    serial = evaluate(datasets / "nab", names)
    assert parallel == serial
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # two series × ARTime and the causal detector


def test_a_folder_without_nab_labels_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatasetFormatError):
        load_corpus(tmp_path)
