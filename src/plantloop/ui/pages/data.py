"""Data platform: every source with its ledger (offered = landed + quarantined + duplicates) and lag, data
quality per table and partition, the quarantine (inspect, replay after a fix, discard) and the steward queue
(map an unknown code to master data), and catalog search with a table's lineage drawn as a graph. The
services are the collect and data-platform contexts'; this page asks and draws."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from plantloop.kernel.errors import PlantloopError
from plantloop.ui import charts
from plantloop.ui.pages.reports import not_available
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

#: The latest result of every check per table and partition, summed up per partition (newest first).
DQ_SQL = """
SELECT table_name, partition_key, count(*) AS checks, sum(CASE WHEN passed THEN 0 ELSE 1 END),
       max(evaluated_at), string_agg(CASE WHEN passed THEN NULL ELSE check_name END, ', ')
FROM (SELECT * FROM dq_result
      QUALIFY row_number() OVER (PARTITION BY table_name, check_name, partition_key
                                 ORDER BY evaluated_at DESC, run_id DESC) = 1)
GROUP BY 1, 2 ORDER BY 5 DESC LIMIT 200
"""


def register() -> None:
    guarded_page("/data", "govern", title_key="nav.data")(data_page)


def data_page(viewer: Viewer, q: str = "", table: str = "") -> None:
    t = viewer.t
    ctx = viewer.ctx
    if ctx.ods is None and ctx.warehouse is None:
        not_available(viewer, t("data.platform"))
        return
    if ctx.ods is not None:
        _sources(viewer)
        _quarantine(viewer)
    if ctx.warehouse is not None:
        _quality(viewer)
        _steward(viewer)
        _catalog(viewer, q, table)


def _platform(viewer: Viewer) -> Any:
    dp = viewer.ctx.extras.get("data_platform")
    if dp is None:
        from plantloop.dataplatform.service import DataPlatform

        dp = viewer.ctx.extras["data_platform"] = DataPlatform(
            viewer.ctx.warehouse, clock=viewer.ctx.container.clock
        )
    return dp


def _sources(viewer: Viewer) -> None:
    from plantloop.collect.ledger import source_status

    t = viewer.t
    rows = [
        {
            **s.to_dict(),
            "reconciles": t("common.yes") if s.reconciles else t("common.no"),
            "last_batch_at": viewer.local(s.last_batch_at, "%m-%d %H:%M:%S"),
        }
        for s in source_status(viewer.ctx.ods)
    ]
    ui.label(t("data.sources")).classes("text-lg font-bold")
    keys = (
        "source",
        "kind",
        "offered",
        "landed",
        "quarantined",
        "duplicates",
        "released",
        "lag_s",
        "last_batch_at",
        "reconciles",
    )
    columns = [{"name": k, "label": t(f"data.col.{k}"), "field": k, "align": "left"} for k in keys]
    ui.table(columns=columns, rows=rows, row_key="source").props(
        "flat bordered dense data-test=data-sources"
    ).classes("w-full")


def _quarantine(viewer: Viewer) -> None:
    t = viewer.t
    platform = viewer.ctx.platform
    landing = getattr(platform, "landing", None)
    with ui.card().classes("w-full"):
        ui.label(t("data.quarantine")).classes("text-lg font-bold")
        if landing is None:
            ui.label(t("data.no_landing")).classes("pl-muted")
            return
        from plantloop.collect.quarantine import QuarantineService

        service = QuarantineService(landing, viewer.ctx.container.plant)
        records = service.list(limit=100)
        rows = [
            {
                "id": r.quarantine_id,
                "source": r.source,
                "reason": r.reason,
                "message": r.message or "",
                "received": viewer.local(r.received_at, "%m-%d %H:%M"),
                "attempts": r.attempts,
                "preview": r.preview[:120],
            }
            for r in records
        ]
        columns = [
            {"name": k, "label": t(f"data.col.{k}"), "field": k, "align": "left"}
            for k in ("id", "source", "reason", "message", "received", "attempts", "preview")
        ]
        table = ui.table(columns=columns, rows=rows, row_key="id", selection="multiple", pagination=15)
        table.props("flat dense data-test=data-quarantine").classes("w-full")
        note = ui.input(t("data.note")).props("dense outlined").classes("w-96")

        async def replay() -> None:
            ids = [row["id"] for row in table.selected] or None

            async def act() -> Any:
                return await run.io_bound(lambda: service.replay(ids=ids))

            report = await viewer.act("govern", act)
            if report is not None:
                ui.notify(t("data.replayed", report=str(report)), type="positive")
                ui.navigate.reload()

        async def discard() -> None:
            ids = [row["id"] for row in table.selected]
            if not ids or not note.value:
                ui.notify(t("data.discard_needs"), type="warning")
                return

            async def act() -> Any:
                return await run.io_bound(
                    lambda: service.discard(ids, note=note.value, reviewer=viewer.username)
                )

            if await viewer.act("govern", act) is not None:
                ui.navigate.reload()

        with ui.row():
            ui.button(t("data.replay"), icon="replay", on_click=replay).props("data-test=quarantine-replay")
            ui.button(t("data.discard"), icon="delete", on_click=discard).props("outline color=negative")


def _quality(viewer: Viewer) -> None:
    t = viewer.t
    try:
        with viewer.ctx.warehouse_cursor() as cur:
            found = cur.execute(DQ_SQL).fetchall()
    except Exception:  # no DQ results yet (the table appears with the first governed build)
        found = []
    ui.label(t("data.dq", count=len(found))).classes("text-lg font-bold")
    rows = [
        {
            "id": i,
            "table": tb,
            "partition": pk,
            "checks": n,
            "failed": int(f or 0),
            "failed_checks": names or "",
            "at": viewer.local(at, "%m-%d %H:%M")
            if at is not None and hasattr(at, "astimezone")
            else str(at or ""),
        }
        for i, (tb, pk, n, f, at, names) in enumerate(found)
    ]
    columns = [
        {"name": k, "label": t(f"data.col.{k}"), "field": k, "align": "left", "sortable": True}
        for k in ("table", "partition", "checks", "failed", "failed_checks", "at")
    ]
    ui.table(columns=columns, rows=rows, row_key="id", pagination=15).props(
        "flat bordered dense data-test=data-dq"
    ).classes("w-full")


def _steward(viewer: Viewer) -> None:
    t = viewer.t
    try:
        with _platform(viewer).steward_queue() as queue:
            items = queue.list_items()
    except Exception:  # no crosswalk yet
        items = []
    with ui.expansion(t("data.steward", count=len(items)), icon="how_to_reg").classes("w-full"):
        for item in items[:50]:
            with ui.row().classes("items-center gap-2"):
                ui.label(f"{item.entity.value}: {item.system}/{item.source_code}").classes(
                    "font-mono text-sm"
                )
                ui.label(f"{item.reason.value} · ×{item.occurrences}").classes("text-sm pl-muted")
                target = ui.input(t("data.canonical_id")).props("dense outlined").classes("w-48")

                async def map_it(item_id: str = item.item_id, box: Any = target) -> None:
                    def call() -> int:
                        with _platform(viewer).steward_queue() as queue:
                            return int(queue.map_to(item_id, box.value, viewer.username))

                    async def act() -> Any:
                        return await run.io_bound(call)

                    if await viewer.act("govern", act) is not None:
                        ui.navigate.reload()

                ui.button(t("data.map"), on_click=map_it).props("dense")


def _catalog(viewer: Viewer, q: str, table: str) -> None:
    t = viewer.t
    with ui.card().classes("w-full"):
        ui.label(t("data.catalog")).classes("text-lg font-bold")
        with ui.row().classes("items-end gap-2"):
            box = ui.input(t("data.search"), value=q).props("dense outlined data-test=catalog-q")
            ui.button(
                t("data.find"), icon="search", on_click=lambda: ui.navigate.to(f"/data?q={box.value or ''}")
            )
        try:
            entries = _platform(viewer).catalog.search(q or None)
        except PlantloopError as exc:
            ui.label(viewer.error_text(exc)).classes("pl-muted")
            return
        rows = [
            {"name": e.name, "layer": e.layer.value, "description": e.description, "dq": e.dq_status}
            for e in entries[:100]
        ]
        columns = [
            {"name": k, "label": t(f"data.col.{k}"), "field": k, "align": "left"}
            for k in ("name", "layer", "description", "dq")
        ]
        grid = ui.table(columns=columns, rows=rows, row_key="name", pagination=10).props(
            "flat dense data-test=catalog"
        )
        grid.classes("w-full")
        grid.on("rowClick", lambda e: ui.navigate.to(f"/data?q={q}&table={e.args[1]['name']}"))
        if table:
            _lineage(viewer, table)


def _lineage(viewer: Viewer, table: str) -> None:
    t = viewer.t
    try:
        lineage = _platform(viewer).catalog.lineage(table)
    except PlantloopError as exc:
        ui.label(viewer.error_text(exc)).classes("pl-muted")
        return
    upstream: dict[str, Any] = lineage.get("upstream") or {}
    nodes = {table: {"id": table, "name": table, "category": lineage.get("layer", ""), "size": 26}}
    links = []
    for child, info in upstream.items():
        nodes.setdefault(child, {"id": child, "name": child, "category": info.get("layer", "")})
        for parent in info.get("parents", []):
            layer = upstream.get(parent, {}).get("layer", "")
            nodes.setdefault(parent, {"id": parent, "name": parent, "category": layer})
            links.append({"source": parent, "target": child})
    ui.label(t("data.lineage", table=table)).classes("font-bold")
    ui.echart(charts.graph(list(nodes.values()), links)).classes("w-full h-96").props(
        "data-test=lineage-graph"
    )
