"""``plantloop sim --json`` prints one JSON object with the KPIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantloop.cli.main import app


def test_sim_json_prints_one_object_with_the_kpis_on_its_last_line() -> None:
    result = CliRunner().invoke(app, ["sim", "--days", "1", "--seed", "3", "--policy", "atcs", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    for key in (
        "orders_released", "orders_completed", "on_time_rate", "throughput_units", "scrap_rate",
        "unplanned_downtime_h", "oee", "mean_lead_time_h", "events_emitted", "faults_injected",
    ):  # fmt: skip
        assert key in summary
    assert summary["policy"] == "atcs" and summary["telemetry_samples"] == 18 * 86_400


def test_an_unknown_policy_is_refused() -> None:
    result = CliRunner().invoke(app, ["sim", "--days", "1", "--policy", "nonsense"])
    assert result.exit_code != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "-1"], "error: days: Input should be greater than 0"),
        (["--days", "1", "--seed", "-5"], "error: seed: Input should be greater than or equal to 0"),
    ],
)
def test_options_out_of_range_are_one_line_errors_not_tracebacks(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["sim", *args])
    assert result.exit_code == 2 and message in result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit(2), not the ValidationError


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--speed", "-1"], "--speed"),  # was a ValueError traceback
        (["--days", "-3"], "--days"),  # was refused only after the plant had started
        (["--start-at", "1900-01-01T00:00:00"], "--start-at"),  # ran with errors in the log
        (["--port", "70000"], "port: Input should be less than or equal to 65535"),  # the settings' check
    ],
)
def test_the_demo_refuses_options_out_of_range_before_anything_starts(
    args: list[str], option: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["demo", *args, "--no-mqtt", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and option in result.output
    assert not any(tmp_path.iterdir())  # nothing created
