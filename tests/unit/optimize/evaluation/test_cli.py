"""``plantloop analytics evaluate``: metric output, JSON last line, clean errors with exit code 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from plantloop.cli.main import app

runner = CliRunner()


def test_an_unknown_task_is_a_clean_error_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analytics", "evaluate", "weather", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown task" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_folder_in_the_wrong_format_is_a_clean_error_with_exit_code_2(tmp_path: Path) -> None:
    for task in ("skab", "nab", "cmapss", "ai4i"):
        result = runner.invoke(app, ["analytics", "evaluate", task, "--data", str(tmp_path)])
        assert result.exit_code == 2, task
        assert "Traceback" not in result.output


def test_json_output_ends_with_one_object_holding_task_metric_and_value(
    datasets: Path, tmp_path: Path
) -> None:
    for name in ("1.csv", "3.csv"):
        (tmp_path / "valve1").mkdir(exist_ok=True)
        shutil.copy(datasets / "skab" / "valve1" / name, tmp_path / "valve1" / name)
    result = runner.invoke(app, ["analytics", "evaluate", "skab", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.strip().splitlines()[-1])
    assert payload["task"] == "skab"
    assert payload["metric"] == "f1"
    assert 0.8 < payload["value"] <= 1.0
    assert payload["files"] == 2


def test_nab_prints_both_scores_after_its_progress_bar(datasets: Path, tmp_path: Path) -> None:
    name = "artificialWithAnomaly/art_daily_jumpsup.csv"
    (tmp_path / "data" / "artificialWithAnomaly").mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    shutil.copy(datasets / "nab" / "data" / name, tmp_path / "data" / name)
    windows = json.loads((datasets / "nab" / "labels" / "combined_windows.json").read_text())
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps({name: windows[name]}))
    result = runner.invoke(app, ["analytics", "evaluate", "nab", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "nab: nab_standard = " in result.output
    assert "causal_standard: " in result.output
