"""Data entry (填报): fill in a form (checked by the data platform's DQ engine before it is accepted), see
your entries and their review status, and — for reviewers — approve or reject others' entries. An entry
changes nothing until it is approved; then it reaches the MES as commands (and from there the governed
layers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import run, ui

from plantloop.api.scope import LineResolver, check_command
from plantloop.loop import Decision, DecisionStatus
from plantloop.reports.definitions import Lang
from plantloop.reports.forms.definitions import FieldType, FormDefinition, choices
from plantloop.reports.forms.service import check_reviewer
from plantloop.ui.pages.decisions import visible_decisions
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/forms", "read", title_key="nav.forms")(forms_page)


def forms_page(viewer: Viewer, form: str = "", tab: str = "fill") -> None:
    t = viewer.t
    service = viewer.ctx.forms
    allowed = [f for f in service.catalog.forms if viewer.can(f.permission)]
    with ui.tabs().classes("w-full") as tabs:
        fill = ui.tab("fill", t("forms.fill")).props("data-test=forms-tab-fill")
        mine = ui.tab("mine", t("forms.mine")).props("data-test=forms-tab-mine")
        review = (
            ui.tab("review", t("forms.review")).props("data-test=forms-tab-review")
            if viewer.can("approve")
            else None
        )
    start = {"fill": fill, "mine": mine, "review": review}.get(tab) or fill
    with ui.tab_panels(tabs, value=start).classes("w-full"):
        with ui.tab_panel(fill):
            if not allowed:
                ui.label(t("forms.none_allowed")).classes("pl-muted")
            else:
                chosen = next((f for f in allowed if f.id == form), allowed[0])
                options = {f.id: f.title(_lang(viewer)) for f in allowed}
                picker = ui.select(options, value=chosen.id, label=t("forms.form")).classes("w-full sm:w-96")
                picker.props("data-test=forms-picker")
                picker.on_value_change(lambda e: ui.navigate.to(f"/forms?form={e.value}"))
                _fill(viewer, chosen)
        with ui.tab_panel(mine):
            _entries_table(viewer, service.entries(entered_by=viewer.username), "forms-mine")
        if review is not None:
            with ui.tab_panel(review):
                pending = visible_decisions(viewer, service.entries(status=DecisionStatus.PROPOSED))
                if not pending:
                    ui.label(t("forms.nothing_to_review")).classes("pl-muted").props(
                        "data-test=forms-nothing-to-review"
                    )
                for decision in pending:
                    _review_card(viewer, decision)


def _lang(viewer: Viewer) -> Lang:
    return Lang.ZH if viewer.lang.value == "zh" else Lang.EN


def _fill(viewer: Viewer, form: FormDefinition) -> None:
    t = viewer.t
    plant = viewer.ctx.container.plant
    lang = _lang(viewer)
    ui.label(form.description(lang)).classes("pl-muted")
    inputs: dict[str, Any] = {}
    with ui.card().classes("w-full max-w-2xl gap-2").props(f"data-test=form-{form.id}"):
        for f in form.fields:
            label = f.label(lang) + (" *" if f.required else "")
            if f.type is FieldType.CHOICE:
                opts = {
                    v: viewer.tv(f"choice.{f.name}", v) if f.choices else v for v in choices(form, f, plant)
                }
                box: Any = ui.select(opts, value=f.default, label=label).props("outlined dense clearable")
            elif f.lookup == "recent_operations":
                box = ui.select(_recent_operations(viewer), value=f.default, label=label, with_input=True)
                box.props("outlined dense clearable")
            elif f.type in (FieldType.INT, FieldType.FLOAT):
                box = ui.number(label, value=f.default, precision=0 if f.type is FieldType.INT else None)
                box.props("outlined dense")
            elif f.type is FieldType.DATETIME:
                box = ui.input(label).props("outlined dense type=datetime-local stack-label")
            else:
                box = ui.input(label, value=f.default or "").props("outlined dense")
            inputs[f.name] = box.classes("w-full").props(f"data-test=field-{f.name}")
        message = ui.label("").classes("text-negative whitespace-pre-line").props("data-test=form-error")

        async def submit() -> None:
            values = {name: _value(viewer, form, name, box.value) for name, box in inputs.items()}

            def propose() -> Decision:
                checked = viewer.ctx.forms.validate(form.id, values, viewer.queries, viewer.username)
                lines = LineResolver(viewer.ctx.container.queries)
                for command in checked.prepared.commands:
                    check_command(lines, command, viewer.scope)
                return viewer.ctx.forms.submit(form.id, values, viewer.queries, viewer.username)

            async def act() -> Decision | None:
                return await run.io_bound(propose)

            message.set_text("")
            from plantloop.kernel.errors import PlantloopError

            try:
                viewer.check(form.permission)
                decision = await act()
            except PlantloopError as exc:
                message.set_text(viewer.error_text(exc))
                return
            if decision is not None:
                ui.notify(t("forms.submitted", version=decision.version), type="positive")
                ui.navigate.to("/forms?tab=mine")

        ui.button(t("forms.submit"), icon="send", on_click=submit).props("color=primary").props(
            "data-test=form-submit"
        )


def _value(viewer: Viewer, form: FormDefinition, name: str, value: Any) -> Any:
    """A field's value as the service expects it; datetime-local text is plant wall time → UTC ISO."""
    if value is None or value == "":
        return None
    if form.field(name).type is FieldType.DATETIME:
        tz = ZoneInfo(viewer.ctx.container.plant.site.timezone)
        try:
            return datetime.fromisoformat(str(value)).replace(tzinfo=tz).isoformat()
        except ValueError:
            return str(value)
    return value


def _recent_operations(viewer: Viewer) -> list[str]:
    out: list[str] = []
    for status in ("in_progress", "completed"):
        from plantloop.mes.domain.work_order import WorkOrderStatus

        for wo in reversed(viewer.queries.work_orders(status=WorkOrderStatus(status), limit=200)):
            out += [op.id for op in wo.operations if op.started_at is not None]
            if len(out) > 200:
                return out[:200]
    return out


def _entries_table(viewer: Viewer, entries: list[Decision], mark: str) -> None:
    t = viewer.t
    rows = [
        {
            "id": d.id,
            "title": d.title,
            "status": viewer.tv("decision_status", d.status.value),
            "entered": viewer.local(d.proposed_at),
            "note": d.error or d.note,
            "reviewed": f"{d.decided_by or ''} {viewer.local(d.decided_at)}",
        }
        for d in entries
    ]
    columns = [
        {"name": k, "label": t(f"forms.col.{k}"), "field": k, "align": "left"}
        for k in ("title", "status", "entered", "reviewed", "note")
    ]
    ui.table(columns=columns, rows=rows, row_key="id", pagination=20).props("flat bordered dense").classes(
        "w-full"
    ).props(f"data-test={mark}")


def _review_card(viewer: Viewer, decision: Decision) -> None:
    t = viewer.t
    values = decision.evidence.get("values", {})
    with ui.card().classes("w-full").props(f"data-test=review-{decision.id}"):
        with ui.row().classes("w-full items-center"):
            ui.label(decision.title).classes("font-bold")
            ui.space()
            ui.label(f"{decision.proposed_by} · {viewer.local(decision.proposed_at)}").classes(
                "pl-muted text-sm"
            )
        ui.label(", ".join(f"{k}: {v}" for k, v in values.items() if v is not None)).classes("text-sm")
        checks = decision.evidence.get("dq", [])
        ui.label(
            t("forms.dq_passed", passed=sum(1 for c in checks if c["passed"]), total=len(checks))
        ).classes("text-sm text-positive")
        own = decision.proposed_by == viewer.username
        note = ui.input(t("decisions.note")).props("dense outlined").classes("w-full")

        async def decide(approve: bool) -> None:
            def call() -> Decision:
                check_reviewer(decision, viewer.username)
                lines = LineResolver(viewer.ctx.container.queries)
                for command in decision.commands:
                    check_command(lines, command, viewer.scope)
                service = viewer.ctx.container.decisions
                if approve:
                    return service.approve(
                        decision.id, viewer.username, viewer.principal.roles, note=note.value or ""
                    )
                return service.reject(
                    decision.id, viewer.username, viewer.principal.roles, note.value or "rejected in review"
                )

            async def act() -> Decision | None:
                return await run.io_bound(call)

            result = await viewer.act("approve", act)
            if result is not None:
                ui.notify(viewer.tv("decision_status", result.status.value), type="positive")
                ui.navigate.to("/forms?tab=review")

        with ui.row():
            approve_button = ui.button(
                t("decisions.approve"), icon="check", color="positive", on_click=lambda: decide(True)
            ).props(f"data-test=approve-{decision.id}")
            reject_button = ui.button(
                t("decisions.reject"), icon="close", color="negative", on_click=lambda: decide(False)
            )
            reject_button.props("outline").props(f"data-test=reject-{decision.id}")
            if own:
                approve_button.disable()
                ui.label(t("forms.own_entry")).classes("text-sm pl-muted")
