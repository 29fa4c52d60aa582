"""``plantloop schedule solve-file`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from plantloop.cli import schedule
from plantloop.mes.masterdata import PlantDefinition


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


def test_follow_once_plans_a_real_sqlite_mes_and_its_lists_reach_the_mes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_plant: PlantDefinition
) -> None:
    from datetime import UTC, datetime, timedelta

    from plantloop.bootstrap import build_container
    from plantloop.kernel.settings import Settings
    from plantloop.loop import DecisionKind
    from plantloop.mes.domain import commands as c
    from plantloop.optimize.scheduling.live import plan_in_force

    url = f"sqlite:///{tmp_path / 'mes.sqlite'}"
    container = build_container(Settings(database_url=url), plant=reference_plant)
    due = datetime.now(UTC) + timedelta(days=2)
    for n, material in enumerate(["P-KET-01", "P-FAN-01"]):
        container.bus.handle(
            c.CreateWorkOrder(work_order_id=f"WO-{n}", material_id=material, qty=20, due_at=due)
        )
        container.bus.handle(c.ReleaseWorkOrder(work_order_id=f"WO-{n}"))
    assert not plan_in_force(container.queries, reference_plant)
    container.close()
    monkeypatch.setenv("PLANTLOOP_DATABASE_URL", url)
    monkeypatch.setenv("PLANTLOOP_PLANT_FILE", str(Settings().plant_file))
    result = CliRunner().invoke(_app(), ["schedule", "follow", "--once", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "manual:" in result.output and "decision" in result.output
    again = build_container(Settings(database_url=url), plant=reference_plant)
    try:
        planned = plan_in_force(again.queries, reference_plant)
        orders = {op.split("/")[0] for op in planned}  # the two orders and their component orders
        assert {"WO-0", "WO-1"} <= orders and all(o.startswith(("WO-0", "WO-1")) for o in orders)
        decisions = again.decisions.list(kind=DecisionKind.SCHEDULE)
        assert [d.proposed_by for d in decisions] == ["rescheduler"]
    finally:
        again.close()


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("2 2\n0 3 1 x\n", "jssp", "error: JSSP file has a non-integer token (name=bad)"),
        ("2 2\n0 3 1 2\n", "jssp", "error: JSSP file is truncated"),
        ("", "jssp", "error: empty JSSP file"),
        ("2 2\n0 3 1 2\n", "fjsp", "error: FJSP file is malformed or truncated"),
    ],
)
def test_a_malformed_instance_file_is_one_line_of_error_and_exit_2(
    tmp_path: Path, text: str, fmt: str, message: str
) -> None:
    from plantloop.cli.main import app  # the root app: its command group turns plantloop errors into this

    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    result = CliRunner().invoke(app, ["schedule", "solve-file", str(bad), "--format", fmt, "--json"])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(("option", "value"), [("--time-limit", "-1"), ("--workers", "0")])
def test_a_limit_out_of_range_is_a_usage_error_not_a_solve(bench_dir: Path, option: str, value: str) -> None:
    """A negative time limit once solved for no time and printed a 12 % gap as if asked for."""
    from plantloop.cli.main import app

    path = str(bench_dir / "jssp/ft06.txt")
    result = CliRunner().invoke(
        app, ["schedule", "solve-file", path, "--format", "jssp", option, value, "--json"]
    )
    assert result.exit_code == 2 and option in result.output and result.stdout.strip().count("{") == 0
