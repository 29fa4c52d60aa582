"""``plantloop schedule solve-file`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from plantloop.cli import schedule


def _app() -> typer.Typer:
    app = typer.Typer()
    schedule.register(app)

    @app.callback()
    def _root() -> None:
        """root"""

    return app


def test_solve_file_json_prints_makespan_bound_and_start_times_in_file_indexing(bench_dir: Path) -> None:
    args = ["schedule", "solve-file", str(bench_dir / "jssp/ft06.txt"), "--format", "jssp"]
    result = CliRunner().invoke(_app(), [*args, "--time-limit", "5", "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["makespan"] == 55
    assert out["lower_bound"] <= 55
    assert {"status", "solve_time_s"} <= set(out)
    assert len(out["start_times"]) == 6 and all(len(ops) == 6 for ops in out["start_times"])
    assert out["start_times"][0][0] == [2, out["start_times"][0][0][1]]  # ft06 job 0 starts on machine 2


def test_fjsp_output_keeps_one_based_machines(bench_dir: Path) -> None:
    args = ["schedule", "solve-file", str(bench_dir / "fjsp/kacem/kacem1.txt"), "--format", "fjsp"]
    result = CliRunner().invoke(_app(), [*args, "--time-limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    machines = {m for ops in out["start_times"] for m, _ in ops}
    assert min(machines) >= 1


def test_table_output_shows_the_makespan(bench_dir: Path) -> None:
    args = [
        "schedule",
        "solve-file",
        str(bench_dir / "jssp/ft06.txt"),
        "--format",
        "jssp",
        "--time-limit",
        "3",
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0
    assert "makespan 55" in result.output
