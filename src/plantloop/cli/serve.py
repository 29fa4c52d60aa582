"""``plantloop up``: a plant's process — migrate the MES store, collect (the MES outbox plus the sources a
``collect.yaml`` names) into the ODS, govern and build the warehouse on a schedule, watch equipment health,
optionally re-plan the floor on the MES's disruptions (``--reschedule``), and serve the API and the web UI
with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command("up")(up)


def up(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default from settings: loopback).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    db_url: Annotated[
        str | None, typer.Option("--db-url", help="MES store URL (sqlite:///… or postgresql+psycopg://…).")
    ] = None,
    plant: Annotated[
        Path | None, typer.Option(help="Plant definition YAML (default: the reference plant).")
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="Enable the documented demo users (never in production).")
    ] = False,
    collect: Annotated[
        Path | None,
        typer.Option(
            help="collect.yaml: MQTT, OPC UA, legacy MES, JetStream sources (the MES outbox always)."
        ),
    ] = None,
    build_interval: Annotated[
        float, typer.Option(min=1.0, help="Seconds between data-platform builds (govern, warehouse, DQ).")
    ] = 300.0,
    platform: Annotated[
        bool,
        typer.Option(help="Run collection and the data platform in this process (off: MES API and UI only)."),
    ] = True,
    reschedule: Annotated[
        bool,
        typer.Option(
            help="Re-plan on machine down / back, predicted failures, rushes, changes, scrap and lot holds, "
            "and propose each plan as a schedule decision (see `plantloop schedule follow`)."
        ),
    ] = False,
    reschedule_limit: Annotated[
        float, typer.Option(min=0.1, help="Wall seconds per re-plan (with --reschedule).")
    ] = 10.0,
) -> None:
    """Migrate the database, run collection and the data platform, and serve plantloop."""
    import uvicorn

    from plantloop.bootstrap import build_container
    from plantloop.collect.config import load_collect_config
    from plantloop.collect.connectors.mes_outbox import SqlOutboxPages
    from plantloop.kernel.settings import Settings
    from plantloop.mes.database import display_url
    from plantloop.runtime.app import build_app
    from plantloop.runtime.platform import DataPlatformRuntime, attach, proposer

    overrides: dict[str, object] = {}
    if db_url:
        overrides["database_url"] = db_url
    if plant:
        overrides["plant_file"] = plant
    if demo:
        overrides["demo"] = True
    if host:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = Settings(**overrides)  # type: ignore[arg-type]  # checks them (a port out of range: one line)
    console = Console()
    with console.status("migrating the MES store …"):
        container = build_container(settings)
    store = display_url(settings.resolved_database_url())
    console.print(
        f"[bold]plantloop[/] {container.plant.site.name} — store {store}\n"
        f"serving on http://{settings.host}:{settings.port}  (API docs at /docs)"
    )
    if settings.demo:
        console.print("[yellow]DEMO MODE: demo users (password 'demo') are enabled — never in production.[/]")
    runtime: DataPlatformRuntime | None = None
    try:
        if platform:
            sources = load_collect_config(collect) if collect is not None else None
            engine = container.engine
            runtime = DataPlatformRuntime(
                container.plant,
                settings.resolved_warehouse_path(),
                SqlOutboxPages(engine) if engine is not None else container.outbox_reader,
                container.clock,
                settings=settings,
                collect=sources,
                build_interval_s=build_interval,
                propose=proposer(container),
            )
            attach(container, runtime)
            runtime.start(require_subscription=False)
            console.print(
                f"data platform: {settings.resolved_warehouse_path()}, built every {build_interval:g} s"
            )
        app = build_app(container)
        if reschedule:
            _start_rescheduler(container, runtime, reschedule_limit)
            console.print(f"rescheduler: re-plans on MES disruptions, {reschedule_limit:g} s per plan")
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    finally:
        if runtime is not None:
            runtime.stop()
        container.close()


def _start_rescheduler(container: Any, runtime: Any, time_limit_s: float) -> None:
    """The live rescheduler in a background thread, planning around the health watcher's predicted
    maintenance windows when the data platform runs here; stopped with the container."""
    from plantloop.optimize.scheduling.live import LiveRescheduler

    watcher = runtime.health.watcher if runtime is not None and runtime.health is not None else None
    live = LiveRescheduler(
        container.queries,
        container.outbox_reader,
        container.decisions,
        container.plant,
        container.clock,
        time_limit_s=time_limit_s,
        windows=watcher.open_windows if watcher is not None else None,
    )
    live.start()
    container.closers.append(live)
