"""C-MAPSS RUL evaluation on a subset of engines, single- and multi-condition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantloop.optimize.evaluation import DatasetFormatError
from plantloop.optimize.evaluation.cmapss import COLUMNS, SENSORS, evaluate, evaluate_baseline, load_subset
from plantloop.optimize.maintenance.rul import RulConfig

FAST = RulConfig(n_models=1, max_iter=200, learning_rate=0.1)
SIX_CONDITIONS = np.array(
    [[0, 0, 100], [10, 0.25, 100], [20, 0.7, 100], [25, 0.62, 60], [35, 0.84, 100], [42, 0.84, 100]]
)


def test_rul_rmse_on_thirty_engines_beats_a_linear_baseline(datasets: Path) -> None:
    folder = datasets / "cmapss_fd001"
    result = evaluate(folder, max_units=30, config=FAST)
    assert result.metric == "rmse"
    assert result.extras["subset"] == "FD001"
    assert result.extras["operating_conditions"] == 1
    assert result.value < 20.0
    assert evaluate_baseline(folder, max_units=30).value > result.value + 3


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=" ", header=False, index=False)


def test_a_six_condition_subset_is_detected_and_normalised_unchanged(datasets: Path, tmp_path: Path) -> None:
    train, test, true_rul = load_subset(datasets / "cmapss_fd001", "FD001", max_units=30)
    rng = np.random.default_rng(0)
    offsets = rng.normal(0, 5, (6, len(SENSORS)))
    gains = rng.uniform(0.8, 1.2, (6, len(SENSORS)))

    def shift(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        condition = rng.integers(0, 6, len(out))
        out[COLUMNS[2:5]] = SIX_CONDITIONS[condition] + rng.normal(0, 0.001, (len(out), 3))
        out[SENSORS] = out[SENSORS].to_numpy() * gains[condition] + offsets[condition]
        return out

    _write(shift(train), tmp_path / "train_FD004.txt")
    _write(shift(test), tmp_path / "test_FD004.txt")
    pd.Series(true_rul.astype(int)).to_csv(tmp_path / "RUL_FD004.txt", header=False, index=False)
    result = evaluate(tmp_path, config=FAST)
    assert result.extras["subset"] == "FD004"
    assert result.extras["operating_conditions"] == 6
    assert result.value < 20.0


def test_a_folder_without_cmapss_files_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "train_FD001.txt").write_text("1 1 0 0 100\n")
    with pytest.raises(DatasetFormatError):
        evaluate(tmp_path)
