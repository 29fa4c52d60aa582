"""Order full-process traceability: sales order → work orders → operations → lots → inspections → finished
lot on one timeline, a Gantt of the operations as they ran, component lots, and the raw MES events of
every subject for drill-down. ``/trace?key=`` takes a sales order, a work order or a lot id."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from nicegui import ui

from plantloop.ui import charts
from plantloop.ui.shell import guarded_page
from plantloop.ui.trace import Trace, build_trace, raw_events, recent_orders
from plantloop.ui.viewer import Viewer

_KIND_STYLE = {
    "order_created": ("add_circle", "grey"),
    "order_released": ("send", "blue"),
    "operation_started": ("play_circle", "primary"),
    "operation_completed": ("check_circle", "positive"),
    "inspection": ("fact_check", "purple"),
    "material_consumed": ("input", "brown"),
    "order_completed": ("inventory_2", "positive"),
}


def register() -> None:
    guarded_page("/trace", "read", title_key="nav.trace")(trace_page)


def trace_page(viewer: Viewer, key: str = "") -> None:
    t = viewer.t
    with ui.row().classes("w-full items-end gap-2"):
        box = ui.input(t("trace.search"), value=key, placeholder=t("trace.search_hint"))
        box.props("outlined dense clearable").classes("w-full sm:w-96").props("data-test=trace-key")

        def open_key() -> None:
            if box.value:
                ui.navigate.to(f"/trace?key={quote(str(box.value).strip(), safe='')}")

        box.on("keydown.enter", open_key)
        ui.button(t("trace.open"), icon="search", on_click=open_key).props("data-test=trace-open")
    if not key:
        _recent(viewer)
        return
    trace = build_trace(viewer.queries, key)
    if trace is None:
        with ui.card().classes("w-full").props("data-test=trace-not-found"):
            ui.label(t("trace.not_found", key=key)).classes("text-lg")
            ui.label(t("trace.not_found_hint")).classes("pl-muted")
        return
    _render(viewer, trace)


def _recent(viewer: Viewer) -> None:
    t = viewer.t
    rows = [
        {
            "work_order_id": wo.id,
            "sales_order_id": wo.sales_order_id or "",
            "material_id": wo.material_id,
            "status": viewer.tv("wo_status", wo.status.value),
            "due_at": _local(viewer, wo.due_at),
        }
        for wo in recent_orders(viewer.queries)
    ]
    ui.label(t("trace.recent")).classes("text-lg font-bold")
    columns = [
        {"name": k, "label": t(f"col.{k}"), "field": k, "align": "left", "sortable": True}
        for k in ("work_order_id", "sales_order_id", "material_id", "status", "due_at")
    ]
    table = ui.table(columns=columns, rows=rows, row_key="work_order_id", pagination=15).classes("w-full")
    table.props("flat bordered dense").props("data-test=trace-recent")
    table.on("rowClick", lambda e: ui.navigate.to(f"/trace?key={quote(e.args[1]['work_order_id'], safe='')}"))


_CSS = ".q-timeline__title { font-size: 1rem; line-height: 1.4rem; } .q-timeline__subtitle { opacity: .7; }"


def _render(viewer: Viewer, trace: Trace) -> None:
    t = viewer.t
    ui.add_css(_CSS)
    root = next(wo for wo in trace.orders if wo.id == trace.root)
    with ui.card().classes("w-full").props("data-test=trace-header"):
        with ui.row().classes("w-full items-center gap-6"):
            _fact(t("trace.sales_order"), trace.sales_order_id or "—", "trace-sales-order")
            _fact(t("trace.customer"), trace.customer or "—")
            _fact(t("trace.root_order"), root.id)
            _fact(t("trace.product"), f"{root.material_id} × {root.qty}")
            _fact(t("trace.status"), viewer.tv("wo_status", root.status.value), "trace-status")
            _fact(t("trace.due"), _local(viewer, root.due_at))
        ui.label(
            t("trace.orders_count", orders=len(trace.orders), lots=len(trace.lots), steps=len(trace.timeline))
        ).classes("pl-muted text-sm")
    _gantt(viewer, trace)
    with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-3 gap-3 items-start"):
        with ui.card().classes("lg:col-span-2"):
            ui.label(t("trace.timeline")).classes("text-lg font-bold")
            timeline = ui.timeline(side="right", layout="dense").classes("w-full overflow-auto")
            timeline.style("max-height: 640px").props("data-test=trace-timeline")
            with timeline:
                for entry in trace.timeline:
                    icon, color = _KIND_STYLE.get(entry.kind, ("circle", "grey"))
                    detail = ", ".join(
                        f"{k}: {_text(viewer, v)}" for k, v in entry.detail.items() if v is not None
                    )
                    ui.timeline_entry(
                        detail,
                        title=f"{t(f'trace.kind.{entry.kind}')} · {entry.title}",
                        subtitle=_local(viewer, entry.at),
                        icon=icon,
                        color=color,
                    )
                last = trace.timeline[-1] if trace.timeline else None
                if last is not None and last.kind == "order_completed" and last.subject == root.id:
                    ui.timeline_entry(
                        t("trace.shipment_text", lot=last.detail.get("lot", "")),
                        title=t("trace.shipment"),
                        icon="local_shipping",
                        color="grey",
                    )
        with ui.card():
            ui.label(t("trace.lots")).classes("text-lg font-bold")
            for lot in trace.lots:
                with ui.row().classes("items-center gap-2"):
                    ui.label(lot.id).classes("font-mono")
                    ui.badge(viewer.tv("lot_status", lot.status.value))
                    if lot.held:
                        ui.badge(t("trace.held"), color="negative")
            if trace.components:
                ui.label(t("trace.components")).classes("font-bold mt-2")
                for link in trace.components:
                    ui.label(f"{link.component_lot_id} → {link.produced_lot_id} ({link.qty:g})").classes(
                        "text-sm font-mono"
                    )
    _events(viewer, trace)


def _gantt(viewer: Viewer, trace: Trace) -> None:
    rows: list[str] = []
    actual: list[tuple[int, float, float, str]] = []
    now = viewer.ctx.container.clock.now()
    for wo in trace.orders:
        for op in wo.operations:
            if op.started_at is None:
                continue
            rows.append(op.id)
            end = op.completed_at or now
            actual.append(
                (
                    len(rows) - 1,
                    op.started_at.timestamp() * 1000,
                    end.timestamp() * 1000,
                    f"{op.equipment_id or ''} {op.qty_good}/{op.qty_scrap}",
                )
            )
    if not rows:
        return
    labels = {"plan": viewer.t("schedule.plan"), "actual": viewer.t("schedule.actual")}
    options = charts.gantt(rows, [], actual, labels)
    height = 80 + 26 * len(rows)
    ui.echart(options).classes("w-full").style(f"height: {height}px").props("data-test=trace-gantt")


def _events(viewer: Viewer, trace: Trace) -> None:
    t = viewer.t
    records = raw_events(viewer.queries, trace.subjects)
    with (
        ui.expansion(t("trace.raw_events", count=len(records)), icon="data_object")
        .classes("w-full")
        .props("data-test=trace-events")
    ):
        columns = [
            {"name": "seq", "label": "seq", "field": "seq", "align": "left"},
            {"name": "at", "label": t("col.at"), "field": "at", "align": "left"},
            {"name": "type", "label": t("col.type"), "field": "type", "align": "left"},
            {"name": "subject", "label": t("col.subject"), "field": "subject", "align": "left"},
            {
                "name": "payload",
                "label": t("col.payload"),
                "field": "payload",
                "align": "left",
                "classes": "font-mono text-xs",
                "style": "white-space: normal; max-width: 640px",
            },
        ]
        rows = [
            {
                "seq": r.seq,
                "at": _local(viewer, r.envelope.occurred_at),
                "type": r.envelope.type,
                "subject": r.envelope.subject,
                "payload": json.dumps(r.envelope.payload, ensure_ascii=False),
            }
            for r in records
        ]
        ui.table(columns=columns, rows=rows, row_key="seq", pagination=25).props("flat dense").classes(
            "w-full"
        )


def _fact(label: str, value: str, mark: str | None = None) -> None:
    with ui.column().classes("gap-0"):
        ui.label(label).classes("text-xs pl-muted")
        item = ui.label(value).classes("font-bold")
        if mark:
            item.props(f"data-test={mark}")


def _local(viewer: Viewer, when: datetime | None) -> str:
    return viewer.local(when)


def _text(viewer: Viewer, value: Any) -> str:
    if isinstance(value, datetime):
        return _local(viewer, value)
    if isinstance(value, bool):
        return viewer.t("common.yes") if value else viewer.t("common.no")
    return str(value)
