"""SKAB outlier F1: the metric on known labels and the detector on two experiment files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plantloop.optimize.evaluation import DatasetFormatError
from plantloop.optimize.evaluation.skab import Confusion, evaluate, evaluate_baseline, find_files


def test_the_skab_f1_is_tp_over_tp_plus_half_the_errors_summed_over_files() -> None:
    confusion = Confusion()
    confusion.add(np.array([1, 1, 1, 0, 0, 0], bool), np.array([1, 1, 0, 1, 0, 0], bool))
    confusion.add(np.array([1, 0], bool), np.array([1, 0], bool))
    assert (confusion.tp, confusion.fp, confusion.fn, confusion.tn) == (3, 1, 1, 3)
    assert confusion.f1 == pytest.approx(3 / (3 + 1))
    assert confusion.far_pct == pytest.approx(25.0)
    assert confusion.mar_pct == pytest.approx(25.0)
    assert confusion.f1_all_flagged == pytest.approx(4 / (4 + 2))


def test_the_detector_beats_flag_everything_and_the_3_sigma_baseline_on_two_files(datasets: Path) -> None:
    folder = datasets / "skab"
    files = [folder / "valve1" / "1.csv", folder / "valve2" / "1.csv"]
    result = evaluate(folder, files)
    assert result.metric == "f1"
    assert result.value > 0.85
    assert result.value > result.extras["f1_if_all_flagged"] + 0.1
    assert result.extras["far_pct"] < 25
    assert evaluate_baseline(folder, files).value < result.value - 0.1


def test_the_experiment_files_exclude_the_anomaly_free_run(datasets: Path, tmp_path: Path) -> None:
    files = find_files(datasets / "skab")
    assert len(files) == 20
    assert not any("anomaly-free" in f.parts for f in files)
    with pytest.raises(DatasetFormatError):
        find_files(tmp_path)
