"""``rca``: root-cause accuracy over twin scenarios — scenario files, scoring, baseline and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantloop.cli.main import app
from plantloop.optimize.evaluation import rca
from plantloop.optimize.evaluation.result import DatasetFormatError

runner = CliRunner()
SCENARIOS = """
defaults: {days: 2}
scenarios:
  - {name: machine, plant: reference, seed: 301, fault: scrap_machine}
  - {name: shift, plant: plants/electronics.yaml, seed: 411, fault: bad_shift}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "plants").mkdir()
    (tmp_path / "plants" / "electronics.yaml").write_text(
        (rca.DEFAULT_FOLDER / "plants" / "electronics.yaml").read_text()
    )
    (tmp_path / "few.yaml").write_text(SCENARIOS)
    return tmp_path


def test_the_shipped_scenarios_cover_four_fault_types_two_plants_and_at_least_twenty_runs() -> None:
    scenarios = rca.load_scenarios(rca.DEFAULT_FOLDER)
    assert len(scenarios) >= 20
    assert {s.fault for s in scenarios} >= set(rca.FAULT_TYPES)
    assert len({s.plant for s in scenarios}) >= 2 and len({s.seed for s in scenarios}) == len(scenarios)


def test_the_injected_cause_ranks_first_on_a_small_slice_and_the_json_says_so(folder: Path) -> None:
    result = runner.invoke(app, ["analytics", "evaluate", "rca", "--data", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.strip().splitlines()[-1])
    assert (payload["task"], payload["metric"], payload["cases"]) == ("rca", "top1_accuracy", 2)
    assert payload["value"] == 1.0 and payload["top3_accuracy"] == 1.0
    assert set(payload["by_fault"]) == {"scrap_machine", "bad_shift"}


def test_a_scenario_file_with_an_unknown_fault_or_a_missing_plant_is_a_format_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("scenarios:\n  - {fault: gremlins}\n")
    with pytest.raises(DatasetFormatError, match="fault must be one of"):
        rca.load_scenarios(tmp_path)
    (tmp_path / "bad.yaml").write_text("scenarios:\n  - {fault: bad_shift, plant: nowhere.yaml}\n")
    with pytest.raises(DatasetFormatError, match="plant file"):
        rca.evaluate(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["analytics", "evaluate", "rca", "--data", str(empty)]).exit_code == 2
