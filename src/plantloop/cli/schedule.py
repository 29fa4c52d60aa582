"""``plantloop schedule``: solve scheduling instances from files (JSSP / FJSP benchmark formats), and follow
a live MES, re-planning on its disruptions (``follow``)."""

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
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.01, help="Wall time in seconds.")] = 10.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="CP-SAT workers.")] = 2,
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


@schedule_app.command("follow")
def follow(
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Wall seconds per re-plan.")
    ] = 10.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="CP-SAT workers.")] = 1,
    poll: Annotated[
        float, typer.Option("--poll", min=0.01, help="Seconds between reads of the MES outbox.")
    ] = 5.0,
    plan_first: Annotated[
        bool, typer.Option("--plan-first/--no-plan-first", help="Plan once at start, before any event.")
    ] = True,
    once: Annotated[bool, typer.Option("--once", help="Read the outbox once and exit (for cron).")] = False,
) -> None:
    """Follow the configured MES (``PLANTLOOP_DATABASE_URL``): on a machine down or back, a predicted
    failure, a rush, changed or cancelled order, scrap, or a lot held or released, re-plan against the
    dispatch lists in force and propose the plan as a SCHEDULE decision (published or sent for approval as
    the approval policy says). Ctrl-C stops it."""
    import time

    from plantloop.bootstrap import build_container
    from plantloop.kernel.settings import Settings
    from plantloop.optimize.scheduling.live import LiveRescheduler

    console = Console(stderr=True)
    container = build_container(Settings())
    live = LiveRescheduler(
        container.queries,
        container.outbox_reader,
        container.decisions,
        container.plant,
        container.clock,
        time_limit_s=time_limit,
        num_workers=workers,
    )
    seen = 0
    try:
        if plan_first:
            live.replan_now([])
        while True:
            live.poll()
            for row in live.history[seen:]:
                console.print(
                    f"{row['at']} {','.join(row['trigger'])}: {row['open_orders']} orders, "
                    f"{row.get('moved_ops', 0)} moved, decision {row.get('decision_status', '-')}"
                )
            seen = len(live.history)
            if once:
                return
            time.sleep(poll)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        container.close()


def register(app: typer.Typer) -> None:
    """Add ``plantloop schedule …`` to the root app."""
    app.add_typer(schedule_app, name="schedule")
