"""``plantloop sim``: run the seeded plant simulator and print its KPIs (table or one JSON object).

By default the run drives the in-memory MES twin; ``--db-url`` drives the real MES instead (message bus,
SQL store and outbox on that database, migrated first), exactly as the demo does.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(name="sim")(sim)


def sim(
    days: Annotated[float, typer.Option(help="Simulated days.")] = 7.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same run.")] = 42,
    policy: Annotated[
        str,
        typer.Option(
            help="Dispatch policy: baseline, atcs, aps, pdm, quality, analytics, loop (the whole closed "
            "loop, large orders in sub-lots), loop-whole (the same, one lot per order), split (FIFO with "
            "the loop's sub-lots), or any registered with sim.policies.register_policy."
        ),
    ] = "baseline",
    scenario_name: Annotated[str, typer.Option("--scenario", help="Named scenario.")] = "default",
    telemetry_hz: Annotated[float, typer.Option(help="Telemetry rate per equipment (0: off).")] = 1.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db-url", help="Drive the real MES on this database (sqlite:///… or postgresql+psycopg://…)."
        ),
    ] = None,
) -> None:
    """Run the plant simulator for DAYS with SEED under POLICY and report KPIs."""
    from plantloop.mes.database import display_url
    from plantloop.sim.policies import make_policy
    from plantloop.sim.run import run_simulation
    from plantloop.sim.scenario import scenario
    from plantloop.sim.telemetry import CountingSink

    config = scenario(scenario_name, days=days, seed=seed, policy=policy, telemetry_hz=telemetry_hz)
    chosen = make_policy(policy)  # refuses an unknown policy before anything is built
    console = Console(stderr=True)
    gateway: Any = None
    container: Any = None
    if db_url is not None:
        from plantloop.bootstrap import build_container
        from plantloop.kernel.settings import Settings
        from plantloop.mes.gateway import BusGateway

        with console.status("migrating the MES store …"):
            container = build_container(Settings(database_url=db_url))
        gateway = BusGateway(container.bus, container.queries)
    try:
        with (
            Progress(
                TextColumn("[bold]sim[/] day"),
                BarColumn(),
                TextColumn("{task.completed:.1f}/{task.total:.1f}"),
                TimeElapsedColumn(),
                console=console,
                disable=as_json,
                transient=True,
            ) as bar,
            gateway.group_commit() if gateway is not None else nullcontext(),
        ):
            task = bar.add_task("sim", total=days)

            def progress(done_s: float, horizon_s: float) -> None:
                bar.update(task, completed=done_s / 86_400.0)

            result = run_simulation(
                config,
                gateway,
                telemetry_sink=CountingSink(),
                plant=container.plant if container is not None else None,
                policy=chosen,
                progress=progress,
            )
        summary: dict[str, Any] = result.summary()
        summary["gateway"] = (
            "mes:" + display_url(container.settings.resolved_database_url()) if container else "recording"
        )
        if container is not None:
            summary["mes_events"] = container.outbox_reader.last_seq()
    finally:
        if container is not None:
            container.close()
    if as_json:
        typer.echo(json.dumps(summary, default=str))
        return
    table = Table(title=f"plantloop sim — {days:g} days, seed {seed}, policy {policy}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key in ("faults_injected", "commands_sent"):
            value = len(value) if key == "faults_injected" else sum(value.values())
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    Console().print(table)
