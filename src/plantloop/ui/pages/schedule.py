"""Scheduling: the published plan against what actually ran (Gantt per machine), the plan's KPIs and gap,
late orders with the constraint that makes each late, and "reschedule now": the CP-SAT scheduler solves the
live MES and proposes the new dispatch lists as a SCHEDULE decision (published at once or after approval,
as the approval policy says)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nicegui import run, ui

from plantloop.loop import Decision, DecisionKind
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.ui import charts
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

GANTT_WINDOW_H = 24.0


def register() -> None:
    guarded_page("/schedule", "read", title_key="nav.schedule")(schedule_page)


def schedule_page(viewer: Viewer) -> None:
    t = viewer.t
    latest = viewer.ctx.container.decisions.list(kind=DecisionKind.SCHEDULE, limit=1)
    _kpis(viewer, latest[0] if latest else None)
    if viewer.can("plan"):
        with ui.row().classes("items-center gap-2"):
            limit = ui.number(t("schedule.time_limit"), value=10, min=2, max=120).props("dense outlined")
            limit.classes("w-40")

            async def reschedule() -> None:
                async def act() -> Decision | None:
                    return await run.io_bound(propose_schedule, viewer, float(limit.value or 10))

                decision = await viewer.act("plan", act)
                if decision is not None:
                    ui.notify(
                        t("schedule.proposed", status=viewer.tv("decision_status", decision.status.value)),
                        type="positive",
                    )
                    ui.navigate.reload()

            ui.button(t("schedule.reschedule"), icon="auto_mode", on_click=reschedule).props(
                "color=primary data-test=reschedule"
            )
    _gantt(viewer)
    _late_now(viewer)


def propose_schedule(viewer: Viewer, time_limit_s: float) -> Decision:
    """Solve the live MES (the viewer's scope) and propose the dispatch lists as a SCHEDULE decision."""
    from plantloop.optimize.scheduling.from_mes import shop_from_mes
    from plantloop.optimize.scheduling.problem import Objective
    from plantloop.optimize.scheduling.publish import MODEL_VERSION, ShopPlan, plan_evidence, plan_to_commands
    from plantloop.optimize.scheduling.runner import SolveParams
    from plantloop.optimize.scheduling.solve import solve

    container = viewer.ctx.container
    now = container.clock.now()
    shop = shop_from_mes(viewer.queries, container.plant, now)
    plan = solve(shop.problem, Objective.TARDINESS_THEN_MAKESPAN, SolveParams(time_limit_s=time_limit_s))
    shop_plan = ShopPlan(shop, plan, trigger=f"manual:{viewer.username}")
    commands = plan_to_commands(shop_plan, issued_by=viewer.username)
    subject = "plant" if viewer.scope is None else "lines:" + ",".join(sorted(viewer.scope))
    return container.decisions.propose(
        DecisionKind.SCHEDULE,
        subject=subject,
        commands=commands,
        title=f"Reschedule by {viewer.username}: {len(shop.work_order_ids)} orders",
        evidence=plan_evidence(shop_plan),
        parameters={"time_limit_s": time_limit_s, "objective": Objective.TARDINESS_THEN_MAKESPAN.value},
        model_version=MODEL_VERSION,
        proposed_by=viewer.username,
    )


def _kpis(viewer: Viewer, decision: Decision | None) -> None:
    t = viewer.t
    with ui.card().classes("w-full").props("data-test=schedule-kpis"):
        if decision is None:
            ui.label(t("schedule.no_plan")).classes("pl-muted")
            return
        ev = decision.evidence
        with ui.row().classes("w-full gap-8 items-start"):
            for label, value in (
                (t("schedule.version"), ev.get("schedule_version", "—")),
                (t("schedule.status"), viewer.tv("decision_status", decision.status.value)),
                (t("schedule.objective"), f"{ev.get('objective', '')} = {ev.get('objective_value', '—')}"),
                (t("schedule.gap"), f"{ev.get('gap_pct', 0):.2f} %"),
                (t("schedule.solve_time"), f"{ev.get('solve_time_s', 0):.1f} s"),
                (t("schedule.orders"), str(ev.get("work_orders", "—"))),
                (t("schedule.moved"), str(ev.get("moved_ops") if ev.get("moved_ops") is not None else "—")),
            ):
                with ui.column().classes("gap-0"):
                    ui.label(label).classes("text-xs pl-muted")
                    ui.label(str(value)).classes("font-bold")
        late = ev.get("late_orders") or []
        ui.label(t("schedule.late_in_plan", count=len(late))).classes("font-bold mt-2")
        if late:
            rows = [
                {"id": i, **{k: _text(viewer, v) for k, v in item.items()}} for i, item in enumerate(late)
            ]
            keys = [k for k in late[0] if k != "id"]
            columns = [
                {"name": k, "label": t(f"schedule.col.{k}"), "field": k, "align": "left"} for k in keys
            ]
            ui.table(columns=columns, rows=rows, row_key="id").props("flat dense").classes("w-full").props(
                "data-test=schedule-late"
            )


def _gantt(viewer: Viewer) -> None:
    """Plan (published dispatch lists) above actual (operations as they ran) per machine, last 24 h on."""
    queries = viewer.queries
    plant = viewer.ctx.container.plant
    now = viewer.ctx.container.clock.now()
    since = now - timedelta(hours=GANTT_WINDOW_H)
    rows = [e for e, line in plant.line_of.items() if e in plant.equipment and viewer.sees_line(line)]
    index = {e: i for i, e in enumerate(rows)}
    plan: list[tuple[int, float, float, str]] = []
    for wc in plant.work_centers:
        if not viewer.sees_line(plant.line_of.get(wc)):
            continue
        for item in queries.dispatch_list(wc):
            if item.planned_start_at and item.planned_end_at and item.equipment_id in index:
                plan.append(
                    (
                        index[item.equipment_id],
                        _ms(item.planned_start_at),
                        _ms(item.planned_end_at),
                        item.operation_id,
                    )
                )
    actual: list[tuple[int, float, float, str]] = []
    for status in (WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.COMPLETED):
        for wo in queries.work_orders(status=status, limit=2000):
            for op in wo.operations:
                if op.started_at is None or op.equipment_id not in index:
                    continue
                end = op.completed_at or now
                if end < since:
                    continue
                actual.append((index[op.equipment_id], _ms(op.started_at), _ms(end), op.id))
    labels = {"plan": viewer.t("schedule.plan"), "actual": viewer.t("schedule.actual")}
    ui.label(viewer.t("schedule.gantt", plan=len(plan), actual=len(actual))).classes("text-lg font-bold")
    ui.echart(charts.gantt(rows, plan, actual, labels)).classes("w-full").style(
        f"height: {120 + 34 * len(rows)}px"
    ).props("data-test=schedule-gantt")


def _late_now(viewer: Viewer) -> None:
    t = viewer.t
    now = viewer.ctx.container.clock.now()
    late = []
    for status in (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS):
        for wo in viewer.queries.work_orders(status=status, limit=2000):
            if wo.due_at < now:
                waiting = next(
                    (o for o in wo.operations if o.status.value not in ("completed", "cancelled")), None
                )
                reason = (
                    t("schedule.reason_held")
                    if wo.held
                    else t(
                        "schedule.reason_waiting",
                        op=waiting.id if waiting else "—",
                        status=viewer.tv("op_status", waiting.status.value) if waiting else "—",
                    )
                )
                late.append(
                    {
                        "work_order_id": wo.id,
                        "material_id": wo.material_id,
                        "due_at": viewer.local(wo.due_at),
                        "late_h": f"{(now - wo.due_at).total_seconds() / 3600:.1f}",
                        "reason": reason,
                    }
                )
    ui.label(t("schedule.late_now", count=len(late))).classes("text-lg font-bold")
    columns = [
        {"name": k, "label": t(f"schedule.col.{k}"), "field": k, "align": "left", "sortable": True}
        for k in ("work_order_id", "material_id", "due_at", "late_h", "reason")
    ]
    ui.table(columns=columns, rows=late, row_key="work_order_id", pagination=15).props(
        "flat bordered dense"
    ).classes("w-full").props("data-test=schedule-late-now")


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000


def _text(viewer: Viewer, value: Any) -> str:
    if isinstance(value, str) and len(value) > 18 and value[4] == "-" and "T" in value:
        try:
            return viewer.local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
