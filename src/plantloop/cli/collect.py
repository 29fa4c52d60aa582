"""``plantloop collect …``: ledger status, quarantine review and replay, file import, legacy pull, OPC UA
browse, the ingest worker and the NATS JetStream relay.

The warehouse defaults to ``settings.resolved_warehouse_path()``. DuckDB lets one process write a file:
while ``plantloop up`` / ``demo`` runs, read its status over the API (``GET /api/v1/ingest/status``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from plantloop.collect.landing import Landing
    from plantloop.dataplatform.ingest import OdsStore

collect_app = typer.Typer(help="Collect: connectors, ledger, quarantine.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Review, discard and replay quarantined input.", no_args_is_help=True)
collect_app.add_typer(quarantine_app, name="quarantine")

WarehouseOpt = Annotated[Path | None, typer.Option(help="DuckDB file of the ODS (default from settings)")]
PlantOpt = Annotated[Path | None, typer.Option(help="Plant YAML (default: the reference plant)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(collect_app, name="collect")


def _warehouse(path: Path | None) -> Path:
    from plantloop.kernel.settings import Settings

    return path or Settings().resolved_warehouse_path()


def _plant(path: Path | None) -> Any:
    from plantloop.mes.masterdata import load_plant, load_reference_plant

    return load_plant(path) if path else load_reference_plant()


def _fail(message: str) -> None:
    console.print(message, style="red", markup=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def _store(warehouse: Path | None, *, write: bool) -> Iterator[OdsStore]:
    import duckdb

    from plantloop.dataplatform.ingest import OdsStore

    path = _warehouse(warehouse)
    if not write and not path.exists():
        _fail(f"no warehouse at {path} (nothing collected yet, or pass --warehouse)")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        store = OdsStore(path, read_only=not write)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            _fail(
                f"{path} is open in another process (plantloop up / demo?): DuckDB allows one writer. "
                "Ask the running server instead: GET /api/v1/ingest/status, /api/v1/ingest/quarantine"
            )
        raise
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _landing(warehouse: Path | None, plant_file: Path | None) -> Iterator[Landing]:
    from plantloop.collect.landing import Landing

    with _store(warehouse, write=True) as store:
        yield Landing.for_plant(store, _plant(plant_file))


@collect_app.command()
def status(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """Per-source ledger totals: offered, landed, quarantined, duplicates, lag."""
    import duckdb

    from plantloop.collect.ledger import source_status

    sources = []
    path = _warehouse(warehouse)
    if path.exists():
        with _store(warehouse, write=False) as store:
            try:
                sources = source_status(store)
            except duckdb.CatalogException:  # a warehouse nothing has been collected into yet
                sources = []
    keys = ("offered", "landed", "quarantined", "duplicates", "lag_s")
    if as_json:
        doc = {s.source: {**{k: getattr(s, k) for k in keys}, "reconciles": s.reconciles} for s in sources}
        typer.echo(json.dumps(doc))
        return
    table = Table("source", *keys, "reconciles")
    for s in sources:
        table.add_row(s.source, *(str(getattr(s, k)) for k in keys), "yes" if s.reconciles else "NO")
    Console().print(table)


# ---- quarantine ---------------------------------------------------------------------------------------
@contextmanager
def _quarantine(warehouse: Path | None, plant: Path | None, *, write: bool) -> Iterator[Any]:
    from plantloop.collect.landing import Landing
    from plantloop.collect.quarantine import QuarantineService

    with _store(warehouse, write=write) as store:
        definition = _plant(plant)
        landing = Landing.for_plant(store, definition) if write else Landing(store)
        yield QuarantineService(landing, definition)


@quarantine_app.command("summary")
def quarantine_summary(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """Counts of quarantined records by source, reason and status."""
    with _quarantine(warehouse, None, write=False) as q:
        groups = q.summary()
    if as_json:
        typer.echo(json.dumps([g.to_dict() for g in groups]))
        return
    table = Table("source", "reason", "status", "count", "last received")
    for g in groups:
        table.add_row(g.source, g.reason, g.status, str(g.count), g.last_received_at.isoformat())
    Console().print(table)


@quarantine_app.command("list")
def quarantine_list(
    warehouse: WarehouseOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    status: Annotated[str, typer.Option(help="open | released | discarded | all")] = "open",
    reason: Annotated[str | None, typer.Option(help="Only this reason")] = None,
    limit: int = 50,
    offset: int = 0,
    as_json: JsonOpt = False,
) -> None:
    """Quarantined records with their reason and a preview of the raw input."""
    with _quarantine(warehouse, None, write=False) as q:
        wanted = None if status == "all" else status
        records = q.list(source=source, status=wanted, reason=reason, limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records]))
        return
    table = Table("id", "source", "status", "reason", "message", "raw")
    for r in records:
        table.add_row(str(r.quarantine_id), r.source, r.status, r.reason, r.message or "", r.preview[:60])
    Console().print(table)


@quarantine_app.command("show")
def quarantine_show(quarantine_id: int, warehouse: WarehouseOpt = None) -> None:
    """One record, with its whole raw input."""
    with _quarantine(warehouse, None, write=False) as q:
        record = q.get(quarantine_id)
    typer.echo(json.dumps(record.to_dict(), indent=2, default=str))


@quarantine_app.command("discard")
def quarantine_discard(
    ids: Annotated[list[int], typer.Argument(help="Record ids")],
    note: Annotated[str, typer.Option(help="Why they must never land")],
    reviewer: Annotated[str, typer.Option(help="Who decided")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Close open records for good (they stay counted as quarantined)."""
    with _quarantine(warehouse, None, write=True) as q:
        typer.echo(f"discarded {q.discard(ids, note=note, reviewer=reviewer)}")


@quarantine_app.command("replay")
def quarantine_replay(
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason")] = None,
    ids: Annotated[list[int] | None, typer.Option("--id", help="Only these records (repeatable)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-validate open records after a fix (master data, contract, parser): what passes lands."""
    with _quarantine(warehouse, plant, write=True) as q, _spinner("replaying the quarantine"):
        report = q.replay(ids=ids, source=source, reason=reason)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    for src, r in report.results.items():
        typer.echo(
            f"{src}: released {r.released} (landed {r.landed}, duplicates {r.duplicates}), "
            f"still open {r.quarantined}"
        )
    if report.skipped:
        typer.echo(f"{report.skipped} records skipped: their parser is not known to this version")


@contextmanager
def _spinner(text: str) -> Iterator[Progress]:
    columns = (SpinnerColumn(), TextColumn(text), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(text, total=None)
        yield progress


# ---- sources ------------------------------------------------------------------------------------------
@collect_app.command("import")
def import_(
    file: Path,
    entity: Annotated[str, typer.Option(help="erp_orders | qms_results | supplier_lots")],
    source: str = "files:import",
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV / Excel file; prints the validation report per row."""
    from plantloop.collect.connectors.files import import_file

    with _landing(warehouse, None) as landing, _spinner(f"importing {file.name}"):
        report = import_file(file, entity, landing, source=source)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    table = Table("row", "outcome", "reason", "message")
    for r in report.rows:
        table.add_row(str(r.row_number), r.outcome, r.reason or "", r.message or "")
    Console().print(table)
    typer.echo(f"landed {report.landed}, duplicates {report.duplicates}, quarantined {report.quarantined}")


@collect_app.command("pull-legacy")
def pull_legacy(
    config: Annotated[Path | None, typer.Option(help="collect.yaml with a legacy section")] = None,
    url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (instead of --config)")] = None,
    table: Annotated[list[str] | None, typer.Option(help="Table to pull (repeatable)")] = None,
    key_column: str = "RecID",
    time_column: str = "ReportTime",
    timezone: str = "UTC",
    source: str = "legacy:mes",
    warehouse: WarehouseOpt = None,
) -> None:
    """Pull new rows (by watermark) from a legacy MES database, once."""
    from plantloop.collect.config import load_collect_config
    from plantloop.collect.connectors.legacy_db import (
        LegacyDbPuller,
        LegacySourceConfig,
        LegacyTableConfig,
    )

    if config is not None:
        section = load_collect_config(config).legacy
        if section is None:
            _fail(f"{config} has no legacy section")
        assert section is not None
        legacy = section.to_source()
    elif url and table:
        tables = tuple(LegacyTableConfig(t, key_column, time_column or None, timezone) for t in table)
        legacy = LegacySourceConfig(url, tables, source)
    else:
        _fail("give --config, or --url and at least one --table")
        return
    with _landing(warehouse, None) as landing:
        puller = LegacyDbPuller.from_config(legacy, landing)
        with Progress(*Progress.get_default_columns(), console=console) as progress:
            task = progress.add_task("pulling", total=None)
            offered = puller.pull_all(on_batch=lambda _s, n: progress.advance(task, n))
        puller.close()
    for src, n in offered.items():
        typer.echo(f"{src}: {n} rows offered")


@collect_app.command("opcua-browse")
def opcua_browse(
    endpoint: str, out: Annotated[Path | None, typer.Option(help="Write a mapping draft here")] = None
) -> None:
    """Browse an OPC UA server's variables; with --out, write a mapping draft (the twin's layout)."""
    from plantloop.collect.connectors.opcua import browse, twin_mapping

    found = asyncio.run(browse(endpoint))
    for path, node_id in found:
        typer.echo(f"{path}\t{node_id}")
    if out:
        out.write_text(twin_mapping(endpoint, found).to_yaml(), encoding="utf-8")
        typer.echo(f"mapping draft written to {out}: check equipment ids and tags before use")


@collect_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context) -> None:
    """Run the ingest worker; options as ``python -m plantloop.collect.worker --help``."""
    from plantloop.collect.worker import main

    raise typer.Exit(main(list(ctx.args)))


@collect_app.command("relay-nats")
def relay_nats(
    nats_url: Annotated[str, typer.Option("--nats", help="NATS server URL, e.g. nats://10.0.0.40:4222")],
    db_url: Annotated[str | None, typer.Option(help="MES store URL (default from settings)")] = None,
    stream: str = "PLANTLOOP_EVENTS",
    subject_prefix: str = "plantloop.events",
    once: Annotated[bool, typer.Option(help="Relay what is there, then exit")] = False,
) -> None:
    """Relay the MES outbox to a NATS JetStream stream (the scale-out transport)."""
    import threading

    from plantloop.collect.connectors.jetstream import JetStreamPublisher, JetStreamSourceConfig
    from plantloop.kernel.settings import Settings
    from plantloop.mes.database import create_engine, display_url
    from plantloop.mes.outbox import OutboxRelay, SqlCheckpointStore, SqlOutboxReader

    settings = Settings(database_url=db_url) if db_url else Settings()
    engine = create_engine(settings.resolved_database_url())
    config = JetStreamSourceConfig(url=nats_url, stream=stream, subject_prefix=subject_prefix)
    publisher = JetStreamPublisher(config)
    relay = OutboxRelay(SqlOutboxReader(engine), SqlCheckpointStore(engine), [publisher])
    try:
        if once:
            typer.echo(f"relayed {relay.drain()} events ({publisher.duplicates} already in the stream)")
            return
        relay.start()
        store = display_url(settings.resolved_database_url())
        console.print(f"relaying {store} → {nats_url} ({stream}); Ctrl-C stops")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        relay.stop()
        publisher.close()
        engine.dispose()
