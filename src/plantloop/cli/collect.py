"""``plantloop collect …``: ledger status, quarantine list / replay, file import, legacy pull, the worker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

collect_app = typer.Typer(help="Collect: connectors, ledger, quarantine.", no_args_is_help=True)
quarantine_app = typer.Typer(help="List and replay quarantined input.", no_args_is_help=True)
collect_app.add_typer(quarantine_app, name="quarantine")

WarehouseOpt = Annotated[Path | None, typer.Option(help="DuckDB file of the ODS (default from settings)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def register(app: typer.Typer) -> None:
    app.add_typer(collect_app, name="collect")


def _warehouse(path: Path | None) -> Path:
    from plantloop.kernel.settings import Settings

    return path or Settings().resolved_warehouse_path()


def _plant(path: Path | None) -> Any:
    from plantloop.mes.masterdata import load_plant, load_reference_plant

    return load_plant(path) if path else load_reference_plant()


def _landing(warehouse: Path | None, plant_file: Path | None) -> Any:
    from plantloop.collect.landing import Landing
    from plantloop.dataplatform.ingest import OdsStore

    path = _warehouse(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Landing.for_plant(OdsStore(path), _plant(plant_file))


@collect_app.command()
def status(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """Per-source totals from the ledger: offered, landed, quarantined, duplicates, lag."""
    import duckdb

    from plantloop.collect.ledger import source_status
    from plantloop.dataplatform.ingest import OdsStore

    path = _warehouse(warehouse)
    sources = []
    if path.exists():
        try:
            store = OdsStore(path, read_only=True)
            sources = source_status(store)
            store.close()
        except duckdb.CatalogException:
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


@quarantine_app.command("list")
def quarantine_list(
    warehouse: WarehouseOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    limit: int = 50,
    as_json: JsonOpt = False,
) -> None:
    """Open quarantine records with their reason."""
    from plantloop.collect.quarantine import list_quarantine
    from plantloop.dataplatform.ingest import OdsStore

    store = OdsStore(_warehouse(warehouse), read_only=True)
    records = list_quarantine(store, source=source, limit=limit)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records]))
        return
    table = Table("id", "source", "reason", "message", "raw")
    for r in records:
        table.add_row(str(r.quarantine_id), r.source, r.reason, r.message or "", r.preview[:60])
    Console().print(table)


@quarantine_app.command("replay")
def quarantine_replay(
    warehouse: WarehouseOpt = None,
    plant: Annotated[Path | None, typer.Option(help="Plant YAML (default: reference plant)")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
) -> None:
    """Re-validate open quarantine records (after a fix); what passes lands, the rest stays."""
    from plantloop.collect.parsers import replay_parsers
    from plantloop.collect.quarantine import replay

    landing = _landing(warehouse, plant)
    results = replay(landing, replay_parsers(_plant(plant)), source=source)
    for src, r in results.items():
        typer.echo(
            f"{src}: released {r.released} (landed {r.landed}, duplicates {r.duplicates}), "
            f"still quarantined {r.quarantined}"
        )


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

    report = import_file(file, entity, _landing(warehouse, None), source=source)
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
    url: Annotated[str, typer.Option(help="SQLAlchemy URL of the legacy database")],
    table: Annotated[list[str], typer.Option(help="Table to pull (repeatable)")],
    key_column: str = "RecID",
    time_column: str = "ReportTime",
    timezone: str = "Asia/Shanghai",
    source: str = "legacy:mes",
    warehouse: WarehouseOpt = None,
) -> None:
    """Incremental pull of new rows (by watermark) from a legacy MES database."""
    from plantloop.collect.connectors.legacy_db import LegacyDbPuller, LegacyTableConfig

    configs = [LegacyTableConfig(t, key_column, time_column or None, timezone) for t in table]
    puller = LegacyDbPuller(url, _landing(warehouse, None), configs, source=source)
    for src, n in puller.pull_all().items():
        typer.echo(f"{src}: {n} rows offered")


@collect_app.command("opcua-browse")
def opcua_browse(
    endpoint: str, out: Annotated[Path | None, typer.Option(help="Write a mapping draft here")] = None
) -> None:
    """Browse an OPC UA server; with --out, write a mapping draft for the twin layout."""
    from plantloop.collect.connectors.opcua import browse, twin_mapping

    found = asyncio.run(browse(endpoint))
    for path, node_id in found:
        typer.echo(f"{path}\t{node_id}")
    if out:
        out.write_text(twin_mapping(endpoint, found).to_yaml(), encoding="utf-8")
        typer.echo(f"mapping draft written to {out}")


@collect_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context) -> None:
    """Run the ingest worker (MQTT + outbox); options as ``python -m plantloop.collect.worker --help``."""
    from plantloop.collect.worker import main

    raise typer.Exit(main(list(ctx.args)))
