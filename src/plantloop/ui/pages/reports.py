"""Reports: pick a declarative report, set its parameters (drop-downs from scoped lookups), see a page of
rows, export the whole result as xlsx / csv / pdf (a streaming download from the reports API, with your row
scope), and subscribe to scheduled e-mail delivery (sent with your scope at send time)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from nicegui import run, ui

from plantloop.kernel.errors import PlantloopError
from plantloop.reports.definitions import Lang, ParamType, ReportDefinition
from plantloop.reports.distribution import Subscription
from plantloop.reports.export import ExportFormat, format_cell
from plantloop.ui.context import ServiceNotAvailable
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

PAGE_ROWS = 200


def register() -> None:
    guarded_page("/reports", "read", title_key="nav.reports")(reports_page)


def not_available(viewer: Viewer, service: str) -> None:
    with ui.card().classes("w-full").props("data-test=not-available"):
        ui.label(viewer.t("shell.not_available")).classes("text-lg font-bold")
        ui.label(viewer.t("shell.not_available_text", service=service))


def reports_page(viewer: Viewer, report: str = "") -> None:
    t = viewer.t
    ctx = viewer.ctx
    lang = Lang.ZH if viewer.lang.value == "zh" else Lang.EN
    try:
        conn = ctx.report_connection()
    except ServiceNotAvailable:
        not_available(viewer, t("reports.warehouse"))
        return
    catalog = ctx.reports.catalog
    chosen = next((r for r in catalog.reports if r.id == report), catalog.reports[0])
    picker = ui.select(
        {r.id: r.title(lang) for r in catalog.reports}, value=chosen.id, label=t("reports.report")
    )
    picker.classes("w-full sm:w-96").props("data-test=reports-picker")
    picker.on_value_change(lambda e: ui.navigate.to(f"/reports?report={e.value}"))
    ui.label(chosen.description(lang)).classes("pl-muted")
    inputs = _parameter_inputs(viewer, chosen, conn, lang)
    result = ui.column().classes("w-full")

    def params() -> dict[str, str]:
        out: dict[str, str] = {}
        for name, box in inputs.items():
            value = box.value
            if value is None or value == "":
                continue
            out[name] = (
                value.isoformat()
                if isinstance(value, date)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        return out

    async def show() -> None:
        result.clear()
        try:
            page = await run.io_bound(_page, viewer, chosen.id, params())
        except PlantloopError as exc:
            with result:
                if exc.code == "report_query_failed" and "does not exist" in exc.message:
                    # The warehouse has not built its reporting tables yet (first build of a new plant).
                    ui.label(t("reports.not_built")).classes("pl-muted").props("data-test=report-not-built")
                else:
                    ui.label(viewer.error_text(exc)).classes("text-negative").props("data-test=report-error")
            return
        if page is None:
            return
        rows, total = page
        with result:
            ui.label(t("reports.rows", shown=len(rows), total=total)).classes("text-sm pl-muted").props(
                "data-test=report-count"
            )
            columns = [
                {
                    "name": c.key,
                    "label": c.label(lang),
                    "field": c.key,
                    "align": "right" if c.format.value in ("int", "decimal", "percent") else "left",
                    "sortable": True,
                }
                for c in chosen.columns
            ]
            ui.table(columns=columns, rows=rows, row_key="_row", pagination=25).props(
                "flat bordered dense"
            ).classes("w-full").props("data-test=report-table")

    def export_url(fmt: ExportFormat) -> str:
        query = urlencode({**params(), "format": fmt.value, "lang": lang.value})
        return f"/api/v1/reports/{chosen.id}/export?{query}"

    with ui.row().classes("gap-2"):
        ui.button(t("reports.run"), icon="play_arrow", on_click=show).props("color=primary").props(
            "data-test=report-run"
        )
        if viewer.can("export"):
            for fmt in ExportFormat:
                button = ui.button(
                    fmt.value.upper(), icon="download", on_click=lambda f=fmt: ui.download(export_url(f))
                )
                button.props(f"outline data-test=export-{fmt.value}")
    ui.timer(0.1, show, once=True)
    if viewer.can("export"):
        _subscriptions(viewer, chosen, lang, params)


def _page(viewer: Viewer, report_id: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    ctx = viewer.ctx
    run_, total = ctx.reports.page(ctx.report_connection(), report_id, params, viewer.scope, limit=PAGE_ROWS)
    columns = run_.report.columns
    rows = [
        {"_row": i, **{c.key: format_cell(c, v) for c, v in zip(columns, row, strict=True)}}
        for i, row in enumerate(run_.rows())
    ]
    return rows, total


def _parameter_inputs(viewer: Viewer, report: ReportDefinition, conn: Any, lang: Lang) -> dict[str, Any]:
    ctx = viewer.ctx
    today = ctx.container.clock.now().date()
    from plantloop.reports.definitions import bind_parameters

    defaults = bind_parameters(report, {}, today=today)
    inputs: dict[str, Any] = {}
    with ui.row().classes("w-full gap-2 items-end"):
        for spec in report.parameters:
            label = spec.label(lang)
            default = defaults.get(spec.name)
            if spec.lookup is not None or spec.allowed is not None:
                try:
                    values = ctx.reports.lookup_values(conn, report, spec.name, viewer.scope)
                except PlantloopError:
                    values = []
                box: Any = ui.select({"": "—"} | {str(v): str(v) for v in values}, value="", label=label)
                box.classes("w-40")
            elif spec.type is ParamType.DATE:
                box = ui.input(label, value=default.isoformat() if default else "").props(
                    "type=date stack-label"
                )
                box.classes("w-44")
            elif spec.type is ParamType.BOOL:
                box = ui.switch(label, value=bool(default))
            elif spec.type in (ParamType.INT, ParamType.FLOAT):
                box = ui.number(label, value=default).classes("w-36")
            else:
                box = ui.input(label, value=default or "").classes("w-44")
            inputs[spec.name] = box.props("dense outlined" if spec.type is not ParamType.BOOL else "").props(
                f"data-test=param-{spec.name}"
            )
    return inputs


def _subscriptions(viewer: Viewer, report: ReportDefinition, lang: Lang, params: Any) -> None:
    t = viewer.t
    ctx = viewer.ctx
    with (
        ui.expansion(t("reports.subscribe"), icon="schedule_send")
        .classes("w-full")
        .props("data-test=report-subscribe")
    ):
        if ctx.distributor is None:
            ui.label(t("reports.mail_off")).classes("pl-muted")
        with ui.row().classes("items-end gap-2"):
            email = (
                ui.input(t("reports.email")).props("dense outlined type=email").props("data-test=sub-email")
            )
            cron = (
                ui.input(t("reports.schedule"), value="0 7 * * 1-5")
                .props("dense outlined")
                .props("data-test=sub-cron")
            )
            fmt = ui.select([f.value for f in ExportFormat], value="xlsx", label=t("reports.format")).props(
                "dense"
            )

            def add() -> None:
                try:
                    viewer.check("export")
                    sub = Subscription(
                        user=viewer.username,
                        email=email.value or "",
                        report_id=report.id,
                        params=params(),
                        format=ExportFormat(fmt.value),
                        lang=lang,
                        schedule=cron.value or "",
                        created_at=ctx.container.clock.now(),
                    )
                except PlantloopError as exc:
                    ui.notify(viewer.error_text(exc), type="negative")
                    return
                except ValueError as exc:
                    ui.notify(str(exc).splitlines()[0] if str(exc) else t("errors.internal"), type="negative")
                    return
                ctx.subscriptions.add(sub)
                ui.notify(t("reports.subscribed"), type="positive")
                listing.refresh()

            ui.button(t("reports.add_subscription"), icon="add", on_click=add).props("data-test=sub-add")

        @ui.refreshable
        def listing() -> None:
            mine = [s for s in ctx.subscriptions.list() if s.user == viewer.username]
            for sub in mine:
                with ui.row().classes("items-center gap-2"):
                    ui.label(f"{sub.report_id} · {sub.format.value} · {sub.schedule} → {sub.email}").classes(
                        "text-sm"
                    )

                    def remove(sub_id: str = sub.id) -> None:
                        ctx.subscriptions.remove(sub_id)
                        listing.refresh()

                    ui.button(icon="delete", on_click=remove).props("flat dense round")

        listing()
