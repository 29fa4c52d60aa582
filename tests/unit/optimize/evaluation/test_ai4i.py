"""AI4I failure prediction: leak-free inputs and cross-validated F1 on a sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantloop.optimize.evaluation import DatasetFormatError
from plantloop.optimize.evaluation.ai4i import LEAKY, evaluate, evaluate_baseline, load


def test_the_inputs_hold_no_failure_mode_or_identifier_columns(datasets: Path) -> None:
    inputs, labels = load(datasets / "ai4i2020", sample_rows=2000)
    assert not set(LEAKY) & set(inputs.columns)
    assert not {"Machine failure", "machine_failure"} & set(inputs.columns)
    assert len(inputs) == len(labels) == 2000
    assert 0.02 < labels.mean() < 0.05


def test_cross_validated_f1_on_a_sample_is_far_above_a_logistic_baseline(datasets: Path) -> None:
    result = evaluate(datasets / "ai4i2020", sample_rows=2500)
    assert result.metric == "f1"
    assert result.value > 0.8
    assert result.extras["precision"] > 0.85
    assert evaluate_baseline(datasets / "ai4i2020", sample_rows=2500).value < result.value - 0.3


def test_a_csv_without_the_process_columns_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "ai4i2020.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetFormatError):
        load(tmp_path)
