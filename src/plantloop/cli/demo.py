"""``plantloop demo``: the reference plant simulated at accelerated speed, driving the real MES, with the
data platform and the web application on http://127.0.0.1:8000 — what ``make run`` starts.

Ctrl-C stops everything cleanly; running it again resumes on the same data directory (``--fresh`` starts
over). Demo users (password ``demo``) are enabled: never expose a demo instance beyond loopback.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    speed: Annotated[
        float, typer.Option(min=0.01, help="Plant time runs this many times faster than real time.")
    ] = 60.0,
    days: Annotated[
        float, typer.Option(min=0.01, help="Simulated days before the plant stops taking orders.")
    ] = 30.0,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated plant.")] = 42,
    policy: Annotated[
        str,
        typer.Option(
            help="How the simulated plant is dispatched: aps (plantloop's CP-SAT plans, the default), "
            "baseline (first in, first out), or any policy of `plantloop sim`."
        ),
    ] = "aps",
    history_days: Annotated[
        float,
        typer.Option(min=0.0, help="On a fresh start, fast-forward this many days first (0: start now)."),
    ] = 1.0,
    telemetry_hz: Annotated[
        float,
        typer.Option(min=0.0, help="Telemetry samples per machine per plant second, published over MQTT."),
    ] = 0.1,
    build_every_s: Annotated[
        float, typer.Option(min=1.0, help="Warehouse build interval (wall seconds).")
    ] = 120.0,
    fresh: Annotated[bool, typer.Option(help="Delete the earlier sessions' data first.")] = False,
    start_at: Annotated[
        datetime | None,
        typer.Option(
            help="Plant time (UTC) a new data directory starts at, e.g. 2026-01-05T06:00:00 (default: now). "
            "A resumed session goes on from where the last one stopped."
        ),
    ] = None,
    mqtt: Annotated[bool, typer.Option(help="Start mosquitto and publish telemetry over MQTT.")] = True,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default from settings: var/).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default: loopback).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    stop_after_s: Annotated[
        float | None, typer.Option(min=0.0, help="Stop by itself after this many wall seconds (for scripts).")
    ] = None,
) -> None:
    """Run the reference plant with the MES, the data platform and the web application."""
    from plantloop.kernel.clock import plausible_time
    from plantloop.kernel.errors import PlantloopError
    from plantloop.kernel.settings import Settings
    from plantloop.runtime.plant_process import DemoOptions, PlantProcess
    from plantloop.sim.policies import make_policy

    make_policy(policy)  # refuse an unknown policy before anything starts
    if start_at is not None:
        try:
            plausible_time(start_at)  # what every MES command's time must pass, checked before the start
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--start-at") from None
    overrides: dict[str, Any] = {"demo": True}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = Settings(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.data_dir / "demo.log"
    logging.basicConfig(
        filename=log_file, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.captureWarnings(True)  # library warnings go to the log, not over the live status
    options = DemoOptions(
        speed=speed,
        days=days,
        seed=seed,
        policy=policy,
        history_days=history_days,
        telemetry_hz=telemetry_hz,
        build_interval_s=build_every_s,
        fresh=fresh,
        mqtt=mqtt,
        start_at=start_at,
    )
    console = Console()
    process = PlantProcess(settings, options)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with console.status("starting: MES store, mosquitto, data platform, simulator, web server …"):
            process.start()
        url = f"http://{settings.host}:{settings.port}"
        console.print(
            Panel.fit(
                f"[bold]plantloop demo[/] — {url}  (API docs: {url}/docs)\n"
                "[yellow bold]DEMO MODE[/] [yellow]— demo users are enabled: manager / planner / operator / "
                "quality / maintenance / admin, password 'demo'. Never expose this beyond loopback.[/]\n"
                "Ctrl-C stops everything; run again to resume, or with --fresh to start over.",
                border_style="yellow",
            )
        )
        for note in [*process.notes, f"log: {log_file}"]:
            console.print(f"  • {note}")
        with Live(_render(process.status()), console=console, refresh_per_second=2) as live:
            waited = 0.0
            while not stop.wait(1.0):
                live.update(_render(process.status()))
                waited += 1.0
                if stop_after_s is not None and waited >= stop_after_s:
                    break
    except KeyboardInterrupt:
        pass
    except PlantloopError as exc:
        console.print(f"[red bold]cannot run the demo:[/] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        with console.status("stopping: simulator, web server, publisher, data platform, mosquitto, MES …"):
            process.stop()
        final = process.final_counts
        if final:
            console.print(
                f"landed: {final.get('ods_mes__events', 0):,} MES events "
                f"(outbox lag {final.get('outbox_lag', 0)}), {final.get('ods_mqtt__telemetry', 0):,} "
                f"of {final.get('mqtt_published', 0):,} MQTT telemetry messages"
            )
        console.print("[bold]plantloop demo stopped[/]; data kept in " + str(settings.data_dir))


def _render(status: dict[str, Any]) -> Group:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    lag = status.get("sim_lag_s", 0.0)
    sim_state = "finished (horizon reached)" if status.get("sim_done") else f"lag {lag:,.0f} s"
    if status.get("sim_error"):
        sim_state = f"[red]stopped: {status['sim_error']}[/]"
    table.add_row("plant time", f"{status.get('plant_time', '')}  ({status.get('speed', 0):g}× real time)")
    table.add_row("simulator", f"{status.get('sim_time', '')}  {sim_state}")
    table.add_row(
        "MES",
        f"{status.get('commands_sent', 0):,} commands ({status.get('commands_rejected', 0)} refused), "
        f"{status.get('mes_events', 0):,} events",
    )
    orders = status.get("work_orders", {})
    table.add_row("work orders", ", ".join(f"{k} {v}" for k, v in sorted(orders.items())) or "—")
    ods = status.get("ods", {})
    landed = ", ".join(f"{k} {v:,}" for k, v in sorted(ods.items()) if k.startswith("ods_"))
    table.add_row("ODS", landed or "—")
    table.add_row(
        "MQTT",
        f"published {status.get('mqtt_published', 0):,}, received {ods.get('mqtt_received', 0):,}"
        if "mqtt_published" in status
        else "off",
    )
    table.add_row("outbox lag", str(ods.get("outbox_lag", 0)))
    wh = status.get("warehouse", {})
    build = f"{wh.get('builds', 0)} builds, {wh.get('failures', 0)} failed"
    if wh.get("running"):
        build += " (building …)"
    if wh.get("last_error"):
        build += f"\n[red]{wh['last_error'][:160]}[/]"
    table.add_row("warehouse", build)
    return Group(table)
