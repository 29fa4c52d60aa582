"""``plantloop schedule``: solve scheduling instances from files (JSSP / FJSP benchmark formats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plantloop.optimize.scheduling.instances import InstanceFormat, load_instance
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve

schedule_app = typer.Typer(help="Finite-capacity scheduling (CP-SAT).", no_args_is_help=True)


@schedule_app.command("solve-file")
def solve_file(
    path: Annotated[Path, typer.Argument(help="Instance file.", exists=True, dir_okay=False)],
    fmt: Annotated[InstanceFormat, typer.Option("--format", help="jssp (0-indexed) or fjsp (1-indexed).")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Wall time in seconds.")] = 10.0,
    workers: Annotated[int, typer.Option("--workers", help="CP-SAT workers.")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Solve one instance for minimum makespan and print the schedule."""
    problem = load_instance(path, fmt)
    plan = solve(problem, params=SolveParams(time_limit_s=time_limit, num_workers=workers, random_seed=seed))
    if plan.violations:
        typer.echo(f"infeasible schedule: {plan.violations[0].message}", err=True)
        raise typer.Exit(code=2)
    if as_json:
        out = {
            "instance": problem.name,
            "makespan": plan.makespan,
            "lower_bound": plan.best_bound,
            "status": plan.status.value,
            "gap_pct": round(plan.gap_pct, 3),
            "solve_time_s": round(plan.solve_time_s, 3),
            "start_times": plan.schedule.start_times(problem),
        }
        typer.echo(json.dumps(out))
        return
    console = Console()
    table = Table(
        title=f"{problem.name}: makespan {plan.makespan}, bound {plan.best_bound} ({plan.status.value})"
    )
    table.add_column("job", justify="right")
    table.add_column("operations [machine@start]")
    for j, ops in enumerate(plan.schedule.start_times(problem)):
        table.add_row(str(j), "  ".join(f"M{m}@{s}" for m, s in ops))
    console.print(table)
    console.print(f"gap {plan.gap_pct:.2f}%  solve time {plan.solve_time_s:.2f}s")


def register(app: typer.Typer) -> None:
    """Add ``plantloop schedule …`` to the root app."""
    app.add_typer(schedule_app, name="schedule")
