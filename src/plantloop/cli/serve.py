"""``plantloop up``: migrate the MES store and serve the API (and status page) with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
) -> None:
    """Migrate the database and serve plantloop."""
    import uvicorn

    from plantloop.api.main import create_app
    from plantloop.bootstrap import build_container
    from plantloop.kernel.settings import Settings

    overrides: dict[str, object] = {}
    if db_url:
        overrides["database_url"] = db_url
    if plant:
        overrides["plant_file"] = plant
    if demo:
        overrides["demo"] = True
    settings = Settings(**overrides)  # type: ignore[arg-type]
    console = Console()
    with console.status("migrating the MES store …"):
        container = build_container(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(
        f"[bold]plantloop[/] {container.plant.site.name} — store {settings.resolved_database_url()}\n"
        f"serving on http://{bind_host}:{bind_port}  (API docs at /docs)"
    )
    if settings.demo:
        console.print("[yellow]DEMO MODE: demo users (password 'demo') are enabled — never in production.[/]")
    try:
        from plantloop.ui import mount

        app = create_app(container)
        mount(app, container)  # the web UI on the same app
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="info")
    finally:
        container.close()
