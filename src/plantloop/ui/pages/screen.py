"""The plant big screen (大屏) for a 1920×1080 TV wall: OEE and its three factors for the plant, per line and
per machine, output against the day's plan, quality (defects Pareto), open alarms, order progress and the
latest events — pushed by the live hub within a fraction of a second of each MES event.

The page builds its elements once and then only changes their values when a snapshot arrives (no
rebuilding, so the wall does not flicker); each viewer sees the snapshot cut to its row scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nicegui import ui

from plantloop.ui import charts
from plantloop.ui.live.plant_view import Snapshot, for_scope
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

_SCREEN_CSS = """
body.pl-screen { background: #0b1220; color: #e2e8f0; }
.pl-panel { background: #111a2e; border: 1px solid #1e293b; border-radius: 8px; padding: 8px 12px; }
.pl-panel-title { color: #93c5fd; font-size: 15px; font-weight: 600; letter-spacing: .04em; }
.pl-eq { border-radius: 6px; padding: 6px 8px; min-height: 74px; background: #0f172a;
         border-left: 6px solid; }
.pl-screen .q-table { background: transparent; color: #e2e8f0; }
.pl-screen .q-table th { color: #93c5fd; font-size: 13px; }
.pl-screen .q-table td { font-size: 14px; }
"""


_ALARM_CLASSES = "text-5xl font-bold pl-kpi mt-4"


def register() -> None:
    guarded_page("/screen", "read", title_key="nav.screen", chrome=False)(big_screen)


def big_screen(viewer: Viewer) -> None:
    t = viewer.t
    ui.add_css(_SCREEN_CSS)
    ui.query("body").classes("pl-screen")
    ui.query(".nicegui-content").classes("p-0")
    labels = {
        "availability": t("kpi.availability"),
        "performance": t("kpi.performance"),
        "quality": t("kpi.quality"),
        "oee": t("kpi.oee"),
        "plan": t("screen.plan"),
        "output": t("screen.output"),
        "count": t("screen.defect_qty"),
        "cumulative": t("screen.cumulative"),
    }
    plant = viewer.ctx.container.plant
    with ui.column().classes("w-full gap-2 p-3").style("min-height: 100vh"):
        with ui.row().classes("w-full items-center gap-4"):
            ui.link("◀", "/home").classes("text-slate-400 no-underline text-xl")
            ui.label(f"{plant.enterprise.name} · {plant.site.name}").classes("text-2xl font-bold")
            ui.label(t("nav.screen")).classes("text-xl text-sky-300")
            ui.space()
            shift = ui.label("").classes("text-lg text-slate-300").props("data-test=screen-shift")
            as_of = ui.label("").classes("text-lg pl-kpi").props("data-test=screen-as-of")
            seq = ui.label("").classes("text-xs text-slate-500").props("data-test=screen-seq")
            if viewer.scope is not None:
                ui.badge(f"{t('shell.scope')}: {', '.join(sorted(viewer.scope))}", color="warning")
        with ui.row().classes("w-full gap-2 no-wrap"):
            gauges = {}
            for key in ("oee", "availability", "performance", "quality"):
                with ui.element("div").classes("pl-panel").style("width: 16%; height: 190px"):
                    gauges[key] = ui.echart(charts.gauge(labels[key], None)).classes("w-full h-full")
                    gauges[key].props(f"data-test=gauge-{key}")
            with ui.element("div").classes("pl-panel").style("width: 17%; height: 190px"):
                ui.label(t("screen.output_vs_plan")).classes("pl-panel-title")
                output_total = (
                    ui.label("—").classes("text-4xl font-bold pl-kpi mt-4").props("data-test=screen-output")
                )
                output_ratio = ui.label("").classes("text-lg text-slate-400")
            with ui.element("div").classes("pl-panel").style("width: 17%; height: 190px"):
                ui.label(t("screen.open_alarms")).classes("pl-panel-title")
                alarm_count = (
                    ui.label("0")
                    .classes("text-5xl font-bold pl-kpi mt-4")
                    .props("data-test=screen-alarm-count")
                )
        with ui.row().classes("w-full gap-2 no-wrap"):
            with ui.element("div").classes("pl-panel").style("width: 36%; height: 300px"):
                ui.label(t("screen.oee_by_line")).classes("pl-panel-title")
                factors = ui.echart(charts.line_factors([], labels)).classes("w-full").style("height: 260px")
            with ui.element("div").classes("pl-panel").style("width: 32%; height: 300px"):
                ui.label(t("screen.output_vs_plan_by_line")).classes("pl-panel-title")
                plan_chart = (
                    ui.echart(charts.output_vs_plan([], labels)).classes("w-full").style("height: 260px")
                )
            with ui.element("div").classes("pl-panel").style("width: 32%; height: 300px"):
                ui.label(t("screen.defects_today")).classes("pl-panel-title")
                defects = ui.echart(charts.pareto([], labels)).classes("w-full").style("height: 260px")
        with ui.row().classes("w-full gap-2 no-wrap"):
            with ui.element("div").classes("pl-panel").style("width: 44%"):
                ui.label(t("screen.machines")).classes("pl-panel-title")
                tiles = _equipment_tiles(viewer)
            with ui.column().classes("gap-2").style("width: 56%"):
                with ui.element("div").classes("pl-panel w-full"):
                    ui.label(t("screen.alarms")).classes("pl-panel-title")
                    alarms = _table(viewer, ["target", "reason", "since", "severity"], "alarms", rows=5)
                with ui.element("div").classes("pl-panel w-full"):
                    ui.label(t("screen.orders")).classes("pl-panel-title")
                    orders = _table(
                        viewer,
                        ["work_order_id", "material_id", "line_id", "progress", "qty_good", "due_at"],
                        "orders",
                        rows=6,
                        progress=True,
                    )

    def set_chart(chart: Any, options: dict[str, Any]) -> None:
        # Only what changed goes over the wire: a wall of screens shares one server.
        if chart.options != options:
            chart.options.clear()
            chart.options.update(options)
            chart.update()

    def set_rows(table: Any, rows: list[dict[str, Any]]) -> None:
        if table.rows != rows:
            table.rows = rows
            table.update()

    def render(snapshot: Snapshot) -> None:
        view = for_scope(snapshot, viewer.scope)
        plant_kpi = view.get("plant") or {}
        for key, chart in gauges.items():
            set_chart(chart, charts.gauge(labels[key], plant_kpi.get(key)))
        shift_info = view.get("shift")
        shift.set_text(
            t("screen.shift", shift=shift_info["id"], date=shift_info["date"])
            if shift_info
            else t("screen.no_shift")
        )
        as_of.set_text(_clock(view["as_of"], viewer))
        seq.set_text(f"#{view['last_seq']}")
        lines = view["lines"]
        output = sum(ln["output_qty"] for ln in lines)
        plan = sum(ln["plan_qty"] for ln in lines)
        output_total.set_text(f"{output:,} / {plan:,}")
        output_ratio.set_text(charts.pct(output / plan if plan else None, 0))
        alarm_count.set_text(str(len(view["alarms"])))
        colour = "text-red-400" if view["alarms"] else "text-green-400"
        if colour not in alarm_count.classes:
            alarm_count.classes(replace=f"{_ALARM_CLASSES} {colour}")
        set_chart(factors, charts.line_factors(lines, labels))
        set_chart(plan_chart, charts.output_vs_plan(lines, labels))
        set_chart(defects, charts.pareto(_defects_by_code(view["defects"]), labels))
        for eq in view["equipment"]:
            tile = tiles.get(eq["equipment_id"])
            if tile is not None:
                tile(eq)
        set_rows(
            alarms,
            [
                {
                    **a,
                    "reason": a.get("reason") or "",
                    "since": _clock(a.get("since"), viewer),
                    "severity": viewer.tv("severity", a.get("severity")),
                }
                for a in view["alarms"]
            ],
        )
        set_rows(
            orders,
            [
                {**o, "progress": round(o["progress"] * 100), "due_at": _clock(o["due_at"], viewer)}
                for o in view["orders"][:30]
            ],
        )

    client = ui.context.client
    hub = viewer.ctx.hub

    def on_snapshot(snapshot: Snapshot) -> None:
        if client.has_socket_connection:
            render(snapshot)

    stop = hub.listen(on_snapshot)
    client.on_delete(stop)
    if hub.latest is not None:
        render(hub.latest)


def _equipment_tiles(viewer: Viewer) -> dict[str, Any]:
    plant = viewer.ctx.container.plant
    updaters: dict[str, Any] = {}
    with ui.grid(columns=6).classes("w-full gap-2 mt-1"):
        for eq_id, line_id in plant.line_of.items():
            if eq_id not in plant.equipment or not viewer.sees_line(line_id):
                continue
            with ui.element("div").classes("pl-eq").props(f"data-test=eq-{eq_id}") as box:
                ui.label(f"{eq_id}").classes("font-bold")
                state = ui.label("").classes("text-xs text-slate-300")
                oee = ui.label("—").classes("text-lg pl-kpi")

            update = _tile_updater(viewer, box, state, oee)
            updaters[eq_id] = update
    return updaters


def _tile_updater(viewer: Viewer, box: Any, state: Any, oee: Any) -> Any:
    """A machine tile's update: state colour, state text and OEE — sent only when what shows changed."""
    shown: list[tuple[str, str, str]] = []

    def update(eq: dict[str, Any]) -> None:
        color = charts.STATE_COLORS.get(eq["state"], "#64748b")
        text = viewer.tv("equipment_state", eq["state"])
        if eq.get("downtime_reason"):
            text += f" · {eq['downtime_reason']}"
        now = (color, text, charts.pct(eq.get("oee"), 0))
        if shown and shown[0] == now:
            return
        shown[:] = [now]
        box.style(f"border-left-color: {color}")
        state.set_text(text)
        oee.set_text(now[2])

    return update


def _table(viewer: Viewer, keys: list[str], name: str, *, rows: int, progress: bool = False) -> Any:
    columns = [{"name": k, "label": viewer.t(f"col.{k}"), "field": k, "align": "left"} for k in keys]
    key = "id" if name == "alarms" else "work_order_id"
    table = ui.table(columns=columns, rows=[], row_key=key, pagination=rows)
    table.props("dense flat dark hide-bottom")
    table.classes("w-full").props(f"data-test=screen-{name}")
    if progress:
        table.add_slot(
            "body-cell-progress",
            '<q-td :props="props"><q-linear-progress :value="props.value / 100" size="14px" color="green"'
            ' track-color="grey-9"><div class="absolute-full flex flex-center text-xs text-white">'
            "{{ props.value }}%</div></q-linear-progress></q-td>",
        )
        table.add_slot(
            "body-cell-due_at",
            "<q-td :props=\"props\" :class=\"props.row.late ? 'text-red-400 font-bold' : ''\">"
            "{{ props.value }}</q-td>",
        )
    return table


def _defects_by_code(items: list[dict[str, Any]]) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for item in items:
        totals[item["code"]] = totals.get(item["code"], 0) + item["qty"]
    return list(totals.items())


def _clock(value: str | None, viewer: Viewer) -> str:
    """An ISO instant as the plant's local wall time (the screen hangs in the plant)."""
    if not value:
        return ""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(viewer.ctx.container.plant.site.timezone)
    return datetime.fromisoformat(value).astimezone(tz).strftime("%m-%d %H:%M:%S")
