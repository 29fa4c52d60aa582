"""``plantloop platform …``: build the data platform (governance, SQLMesh plan/apply, DQ, marks), lineage,
metrics, catalog, DQ results, the steward queue, and synthetic demo data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

platform_app = typer.Typer(help="Data platform: warehouse, metrics, catalog, lineage.", no_args_is_help=True)

WarehouseOpt = Annotated[
    Path | None, typer.Option(help="DuckDB file of ODS + warehouse (default from settings)")
]
PlantOpt = Annotated[Path | None, typer.Option(help="Plant definition YAML (default: the reference plant)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def register(app: typer.Typer) -> None:
    app.add_typer(platform_app, name="platform")


def _warehouse(path: Path | None, plant_file: Path | None, console: Any = None) -> Any:
    from plantloop.dataplatform.warehouse import Warehouse
    from plantloop.kernel.settings import Settings
    from plantloop.mes.masterdata import load_plant, load_reference_plant

    db = path or Settings().resolved_warehouse_path()
    plant = load_plant(plant_file) if plant_file else load_reference_plant()
    return Warehouse(db, plant, console=console)


def _fail(message: str) -> typer.Exit:
    """A usage error: one line, exit 2 (plantloop errors get the same from the root app, ``cli.main``)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, default=str))


@platform_app.command()
def build(warehouse: WarehouseOpt = None, plant: PlantOpt = None, as_json: JsonOpt = False) -> None:
    """Govern the sources, build the warehouse (new days, late and remapped days restated), check DQ and
    mark what is built on failed partitions — with a progress display per step and per model."""
    from plantloop.dataplatform.service import DataPlatform

    out = Console(stderr=as_json)
    console = None
    if not as_json:
        from sqlmesh.core.console import TerminalConsole

        console = TerminalConsole()  # Rich progress bars per model and batch during the warehouse step
    wh = _warehouse(warehouse, plant, console)

    def progress(step: str, done: int, total: int) -> None:
        if step != "done" and not as_json:
            out.rule(f"[bold]{done + 1}/{total} {step}[/] — {STEP_TEXT.get(step, '')}")

    try:
        report = DataPlatform(wh).build(progress=progress)
        counts = {name: wh.query(f"SELECT count(*) FROM dw.{name}")[0][0] for name in wh.table_names()}
    finally:
        wh.close()
    if as_json:
        _print_json(report.to_dict() | {"rows": counts})
        return
    table = Table(
        "table", "rows", title=f"warehouse {wh.database} ({report.warehouse.start} → {report.warehouse.end})"
    )
    for name, n in counts.items():
        table.add_row(name, str(n))
    out.print(table)
    for run in report.governance:
        data = run.to_dict()
        out.print(
            f"{data['governed_table']}: {data['rows_in']} rows in, {data['rows_out']} kept; cleaning "
            f"{data['cleaning']}; codes waiting for a steward {data['codes_queued']}"
        )
    if report.warehouse.restated_days or report.remapped_days:
        days = sorted({*report.warehouse.restated_days, *report.remapped_days})
        out.print(f"restated days: {', '.join(d.isoformat() for d in days)}")
    for table_name, parts in report.failed_partitions.items():
        out.print(f"[red]DQ failed[/] {table_name}: {', '.join(parts)}")
    out.print(f"{report.marks} downstream partitions marked")


STEP_TEXT = {
    "govern": "field dictionary, cleaning, crosswalk and DQ of every source",
    "warehouse": "SQLMesh plan and apply",
    "quality": "DQ checks of the warehouse tables",
    "lineage": "table lineage and downstream marks",
}


@platform_app.command()
def lineage(
    table: Annotated[str, typer.Argument(help="e.g. ads_oee_equipment_shift")],
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Upstream lineage of a table down to ODS source fields (column level)."""
    from plantloop.dataplatform.catalog import Catalog

    wh = _warehouse(warehouse, plant)
    try:
        data = Catalog(wh).lineage(table)
    finally:
        wh.close()
    if as_json:
        _print_json(data)
        return
    out = Console()
    out.print(f"[bold]{data['table']}[/] ({data['layer']}) upstream: {', '.join(data['upstream'])}")
    grid = Table("column", "source fields")
    for col, info in data["columns"].items():
        grid.add_row(col, "\n".join(info["sources"]))
    out.print(grid)


@platform_app.command()
def metrics(
    name: Annotated[str, typer.Argument(help="metric name; 'list' for all")],
    group_by: Annotated[str, typer.Option("--group-by", help="comma-separated dimensions")] = "",
    period: Annotated[str, typer.Option(help="shift | day | week | all | FROM..TO")] = "day",
    filter: Annotated[str, typer.Option(help="dimension:value,…")] = "",
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Values of one named metric (ISO 22400 / OneData), grouped and filtered."""
    from plantloop.dataplatform.metrics import list_metrics, parse_filter, query_metric

    if name == "list":
        data: Any = list_metrics()
        if as_json:
            _print_json(data)
        else:
            grid = Table("name", "unit", "additive", "owner", "definition")
            for m in data:
                grid.add_row(m["name"], m["unit"], str(m["additive"]), m["owner"], m["definition"])
            Console().print(grid)
        return
    wh = _warehouse(warehouse, plant)
    try:
        groups = [g.strip() for g in group_by.split(",") if g.strip()]
        result = query_metric(wh, name, period, groups, parse_filter(filter), consumer="cli").to_dict()
    finally:
        wh.close()
    if as_json:
        _print_json(result)
        return
    grid = Table(*result["group_by"], f"{name} [{result['unit']}]", title=result["derived_name"])
    for row in result["rows"]:
        grid.add_row(*(str(row[g]) for g in result["group_by"]), f"{row['value']}")
    Console().print(grid)


@platform_app.command()
def catalog(
    q: Annotated[str, typer.Argument(help="search text")] = "",
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the catalog: tables with layer, owner, freshness and DQ status."""
    from plantloop.dataplatform.catalog import Catalog

    wh = _warehouse(warehouse, plant)
    try:
        entries = [e.to_dict() for e in Catalog(wh).search(q or None)]
    finally:
        wh.close()
    if as_json:
        _print_json(entries)
        return
    grid = Table("table", "layer", "owner", "freshness", "dq", "description")
    for e in entries:
        grid.add_row(e["name"], e["layer"], e["owner"], str(e["freshness"]), e["dq_status"], e["description"])
    Console().print(grid)


@platform_app.command()
def dq(
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    table: Annotated[str | None, typer.Option(help="one table (bare name)")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="only partitions that fail or inherit")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Latest data-quality result per table, partition and check, with failures inherited from upstream."""
    from plantloop.dataplatform.governance.dq_report import dq_report

    wh = _warehouse(warehouse, plant)
    try:
        with wh.connect() as con:
            report = dq_report(con, table=table, only_failed=failed)
    finally:
        wh.close()
    if as_json:
        _print_json(report)
        return
    grid = Table("table", "partition", "ok", "failing checks", "inherited from")
    for t in report:
        for p in t["partitions"]:
            failing = [c["check"] for c in p["checks"] if not c["passed"] and c["severity"] != "warn"]
            inherited = sorted({f"{m['table']}[{m['partition']}]" for m in p["inherited"]})
            grid.add_row(t["table"], p["partition"], "yes" if p["ok"] else "[red]no[/]", ", ".join(failing),
                         "\n".join(inherited))  # fmt: skip
    Console().print(grid)


@platform_app.command()
def steward(
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    status: Annotated[str, typer.Option(help="open | resolved | rejected")] = "open",
    as_json: JsonOpt = False,
) -> None:
    """Codes the master-data crosswalk could not match, waiting for a steward (resolve them in the API/UI)."""
    from plantloop.dataplatform.governance.crosswalk_store import StewardStatus
    from plantloop.dataplatform.service import DataPlatform

    wh = _warehouse(warehouse, plant)
    try:
        wh.ensure_sources()
        with DataPlatform(wh).steward_queue() as queue:
            items = queue.list_items(StewardStatus(status))
    except ValueError:
        raise _fail(f"status must be open, resolved or rejected, not {status!r}") from None
    finally:
        wh.close()
    if as_json:
        _print_json([i.__dict__ for i in items])
        return
    grid = Table("item", "entity", "system", "code", "rows", "reason", "candidates")
    for i in items:
        cands = ", ".join(f"{c['canonical_id']} ({c['score']})" for c in i.candidates)
        grid.add_row(
            i.item_id[:8], i.entity.value, i.system, i.source_code, str(i.occurrences), i.reason.value, cands
        )
    Console().print(grid)


@platform_app.command("demo-data")
def demo_data(
    warehouse: WarehouseOpt = None,
    plant: PlantOpt = None,
    days: Annotated[int, typer.Option(help="days of synthetic shifts, ending yesterday")] = 7,
    equipment: Annotated[str, typer.Option(help="comma-separated equipment ids")] = "IM-01,AS-11,TS-11,PK-11",
    seed: int = 7,
) -> None:
    """Land synthetic MES events (known ground truth) in the ODS, for trying the warehouse out."""
    import duckdb

    from plantloop.dataplatform.warehouse.synthetic import OdsEventLog, generate_plant_days

    wh = _warehouse(warehouse, plant)
    log = OdsEventLog(wh.plant)
    first = (datetime.now(UTC) - timedelta(days=days)).date()
    generate_plant_days(log, [e.strip() for e in equipment.split(",") if e.strip()], first, days, seed=seed)
    wh.database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(wh.database)) as con:
        n = log.write(con)
    typer.echo(f"landed {n} synthetic events in {wh.database}")
