"""Decisions: what waits for approval (with its evidence, inputs and data-quality verdict) and the history
of what was sent to the MES and what it answered. Approving and rejecting go through the decision service,
which checks the approval policy's roles; the page also keeps a line-scoped approver to its lines."""

from __future__ import annotations

import json
from typing import Any

from nicegui import run, ui

from plantloop.api.scope import LineResolver, OutOfScope, check_command
from plantloop.loop import Decision, DecisionKind, DecisionStatus
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/decisions", "read", title_key="nav.decisions")(decisions_page)


def visible_decisions(viewer: Viewer, decisions: list[Decision]) -> list[Decision]:
    """Decisions whose commands touch only lines the viewer sees (plant-wide ones need the whole plant)."""
    if viewer.scope is None:
        return decisions
    lines = LineResolver(viewer.ctx.container.queries)
    out = []
    for decision in decisions:
        try:
            for command in decision.commands:
                check_command(lines, command, viewer.scope)
        except OutOfScope:
            continue
        out.append(decision)
    return out


def decisions_page(viewer: Viewer, kind: str = "", status: str = "") -> None:
    t = viewer.t
    service = viewer.ctx.container.decisions
    kinds = {"": t("decisions.all_kinds")} | {
        k.value: viewer.tv("decision_kind", k.value) for k in DecisionKind
    }
    statuses = {"": t("decisions.all_statuses")} | {
        s.value: viewer.tv("decision_status", s.value) for s in DecisionStatus
    }
    pending = visible_decisions(viewer, service.pending(limit=200))
    ui.label(t("decisions.pending", count=len(pending))).classes("text-lg font-bold")
    if not pending:
        ui.label(t("decisions.none_pending")).classes("pl-muted").props("data-test=decisions-none-pending")
    for decision in pending:
        _pending_card(viewer, decision)
    with ui.row().classes("w-full items-end gap-2 mt-4"):
        ui.label(t("decisions.history")).classes("text-lg font-bold")
        ui.space()
        kind_box = ui.select(kinds, value=kind if kind in kinds else "", label=t("decisions.kind")).props(
            "dense"
        )
        status_box = ui.select(
            statuses, value=status if status in statuses else "", label=t("decisions.status")
        )
        status_box.props("dense")

        def apply() -> None:
            ui.navigate.to(f"/decisions?kind={kind_box.value or ''}&status={status_box.value or ''}")

        kind_box.on_value_change(apply)
        status_box.on_value_change(apply)
    history = service.list(
        kind=DecisionKind(kind) if kind in {k.value for k in DecisionKind} else None,
        status=DecisionStatus(status) if status in {s.value for s in DecisionStatus} else None,
        limit=300,
    )
    rows = [
        {
            "id": d.id,
            "kind": viewer.tv("decision_kind", d.kind.value),
            "subject": d.subject,
            "version": d.version,
            "title": d.title,
            "status": viewer.tv("decision_status", d.status.value),
            "status_raw": d.status.value,
            "proposed": f"{d.proposed_by} · {viewer.local(d.proposed_at)}",
            "decided": f"{d.decided_by or ''} {viewer.local(d.decided_at)}".strip(),
            "error": d.error or "",
        }
        for d in visible_decisions(viewer, history)
    ]
    columns = [
        {"name": k, "label": t(f"decisions.col.{k}"), "field": k, "align": "left", "sortable": True}
        for k in ("kind", "subject", "version", "title", "status", "proposed", "decided", "error")
    ]
    table = ui.table(columns=columns, rows=rows, row_key="id", pagination=20).props("flat bordered dense")
    table.classes("w-full").props("data-test=decisions-history")
    by_id = {d.id: d for d in history}
    table.on("rowClick", lambda e: _details(viewer, by_id[e.args[1]["id"]]))


def _pending_card(viewer: Viewer, decision: Decision) -> None:
    t = viewer.t
    with ui.card().classes("w-full").props(f"data-test=pending-{decision.id}"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.badge(viewer.tv("decision_kind", decision.kind.value))
            ui.label(decision.title).classes("font-bold text-lg")
            ui.space()
            ui.label(
                f"v{decision.version} · {decision.proposed_by} · {viewer.local(decision.proposed_at)}"
            ).classes("pl-muted text-sm")
        if not decision.dq.passed:
            ui.label(t("decisions.dq_failed", partitions=", ".join(decision.dq.failed_partitions))).classes(
                "text-negative"
            )
        ui.label(t("decisions.commands", count=len(decision.commands))).classes("text-sm")
        with ui.expansion(t("decisions.evidence"), icon="science").classes("w-full"):
            ui.code(
                json.dumps(decision.to_dict()["evidence"], ensure_ascii=False, indent=1, default=str)
            ).classes("w-full text-xs")
            ui.code(json.dumps(decision.to_dict()["commands"], ensure_ascii=False, indent=1)).classes(
                "w-full text-xs"
            )
        if not viewer.can("approve"):
            return
        with ui.row().classes("w-full items-end gap-2"):
            note = (
                ui.input(t("decisions.note"))
                .props("dense outlined")
                .classes("grow")
                .props(f"data-test=note-{decision.id}")
            )
            override = ui.checkbox(t("decisions.override_dq")) if not decision.dq.passed else None

            async def approve() -> None:
                def call() -> Decision:
                    return viewer.ctx.container.decisions.approve(
                        decision.id,
                        viewer.username,
                        viewer.principal.roles,
                        note=note.value or "",
                        override_dq=bool(override and override.value),
                    )

                await _decide(viewer, decision, call, t("decisions.approved"))

            async def reject() -> None:
                if not note.value:
                    ui.notify(t("decisions.reason_needed"), type="warning")
                    return

                def call() -> Decision:
                    return viewer.ctx.container.decisions.reject(
                        decision.id, viewer.username, viewer.principal.roles, note.value
                    )

                await _decide(viewer, decision, call, t("decisions.rejected"))

            ui.button(t("decisions.approve"), icon="check", color="positive", on_click=approve).props(
                f"data-test=approve-{decision.id}"
            )
            ui.button(t("decisions.reject"), icon="close", color="negative", on_click=reject).props(
                "outline"
            ).props(f"data-test=reject-{decision.id}")


async def _decide(viewer: Viewer, decision: Decision, call: Any, done: str) -> None:
    def guarded() -> Decision:
        lines = LineResolver(viewer.ctx.container.queries)
        for command in decision.commands:
            check_command(lines, command, viewer.scope)
        result: Decision = call()
        return result

    async def act() -> Decision | None:
        return await run.io_bound(guarded)

    result = await viewer.act("approve", act)
    if result is not None:
        ui.notify(f"{done}: {viewer.tv('decision_status', result.status.value)}", type="positive")
        ui.navigate.reload()


def _details(viewer: Viewer, decision: Decision) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
        ui.label(decision.title).classes("text-lg font-bold")
        ui.code(json.dumps(decision.to_dict(), ensure_ascii=False, indent=1, default=str)).classes(
            "w-full text-xs"
        )
        ui.button(viewer.t("common.close"), on_click=dialog.close)
    dialog.open()
