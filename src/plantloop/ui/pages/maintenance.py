"""Maintenance: equipment state and reliability (MTBF / MTTR over the last 30 days from the warehouse's
OEE components), health, anomaly and remaining useful life from the maintenance analytics where that
service runs, and maintenance orders — created as MAINTENANCE_ORDER decisions, started and completed as MES
commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nicegui import run, ui

from plantloop.kernel.errors import PlantloopError
from plantloop.loop import DecisionKind
from plantloop.mes.domain import commands as c
from plantloop.ui.context import ServiceNotAvailable
from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer

RELIABILITY_DAYS = 30


def register() -> None:
    guarded_page("/maintenance", "read", title_key="nav.maintenance")(maintenance_page)


def maintenance_page(viewer: Viewer) -> None:
    t = viewer.t
    reliability = _reliability(viewer)
    health = viewer.ctx.extras.get("health") or getattr(viewer.ctx.platform, "health", None)
    states = viewer.queries.equipment_states()
    rows = []
    for eq in states:
        r = reliability.get(eq.id, {})
        status = health.status(eq.id) if health is not None else None
        rows.append(
            {
                "id": eq.id,
                "state": viewer.tv("equipment_state", eq.state.value),
                "downtime": eq.downtime_reason_code or "",
                "failures": r.get("failures", "—"),
                "mtbf_h": r.get("mtbf_h", "—"),
                "mttr_min": r.get("mttr_min", "—"),
                "health": f"{status.health:.2f}" if status is not None else "—",
                "warning": t("common.yes") if status is not None and status.warning else "",
                "rul": f"{status.rul_h:.0f} h"
                if status is not None and getattr(status, "rul_h", None)
                else "—",
            }
        )
    ui.label(t("maintenance.equipment", days=RELIABILITY_DAYS)).classes("text-lg font-bold")
    if reliability.get("_error"):
        ui.label(t("maintenance.no_warehouse")).classes("pl-muted text-sm")
    if health is None:
        ui.label(t("maintenance.no_health")).classes("pl-muted text-sm").props("data-test=no-health")
    columns = [
        {"name": k, "label": t(f"maintenance.col.{k}"), "field": k, "align": "left", "sortable": True}
        for k in ("id", "state", "downtime", "failures", "mtbf_h", "mttr_min", "health", "warning", "rul")
    ]
    ui.table(columns=columns, rows=rows, row_key="id").props(
        "flat bordered dense data-test=maintenance-equipment"
    ).classes("w-full")
    _orders(viewer)
    if viewer.can("maintenance"):
        _new_order(viewer, [e.id for e in states])


def _reliability(viewer: Viewer) -> dict[str, Any]:
    """Failures, MTBF (run hours per failure) and MTTR (repair minutes per failure) per machine."""
    since = (viewer.ctx.container.clock.now() - timedelta(days=RELIABILITY_DAYS)).date()
    try:
        with viewer.ctx.warehouse_cursor() as cur:
            found = cur.execute(
                "SELECT equipment_id, line_id, SUM(failures), SUM(run_time_s), SUM(repair_time_s) "
                "FROM dw.ads_oee_equipment_shift WHERE shift_date >= ? GROUP BY 1, 2",
                [since],
            ).fetchall()
    except (ServiceNotAvailable, Exception) as exc:  # no warehouse, or not built yet
        return {"_error": str(exc)}
    out: dict[str, Any] = {}
    for equipment, line, failures, run_s, repair_s in found:
        if not viewer.sees_line(line):
            continue
        n = int(failures or 0)
        out[equipment] = {
            "failures": n,
            "mtbf_h": f"{(run_s or 0) / 3600 / n:.1f}" if n else "—",
            "mttr_min": f"{(repair_s or 0) / 60 / n:.0f}" if n else "—",
        }
    return out


def _orders(viewer: Viewer) -> None:
    t = viewer.t
    orders = viewer.queries.maintenance_orders(limit=200)
    ui.label(t("maintenance.orders", count=len(orders))).classes("text-lg font-bold")
    for mo in reversed(orders[-30:]):
        with ui.card().classes("w-full").props(f"data-test=mo-{mo.id}"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(f"{mo.id} · {mo.equipment_id}").classes("font-bold")
                ui.badge(mo.maintenance_kind.value)
                ui.badge(mo.status.value, color="grey")
                ui.space()
                ui.label(viewer.local(mo.planned_start_at or mo.created_at)).classes("pl-muted text-sm")
            if mo.reason:
                ui.label(mo.reason).classes("text-sm")
            if not viewer.can("maintenance"):
                continue
            status = mo.status.value
            if status == "planned":
                ui.button(
                    t("maintenance.start"),
                    icon="build",
                    on_click=lambda m=mo.id: _send(viewer, c.StartMaintenance(maintenance_order_id=m)),
                )
            elif status == "in_progress":
                ui.button(
                    t("maintenance.complete"),
                    icon="check",
                    on_click=lambda m=mo.id: _send(viewer, c.CompleteMaintenance(maintenance_order_id=m)),
                )


def _new_order(viewer: Viewer, equipment: list[str]) -> None:
    t = viewer.t
    with ui.card().classes("w-full max-w-2xl"):
        ui.label(t("maintenance.new_order")).classes("text-lg font-bold")
        machine = ui.select(equipment, label=t("maintenance.machine")).props(
            "dense outlined data-test=mo-machine"
        )
        kind = ui.select(
            [k.value for k in c.MaintenanceKind], value="preventive", label=t("maintenance.kind")
        )
        kind.props("dense outlined")
        reason = ui.input(t("maintenance.reason")).props("dense outlined").classes("w-full")
        hours = ui.number(t("maintenance.duration_h"), value=1, min=0.25, max=72).props("dense outlined")

        async def create() -> None:
            def call() -> Any:
                if not machine.value:
                    raise PlantloopError(t("maintenance.choose_machine"))
                from plantloop.api.scope import LineResolver, check_command
                from plantloop.kernel.ids import new_id

                command = c.CreateMaintenanceOrder(
                    maintenance_order_id=f"MO-{new_id()[:8]}",
                    equipment_id=machine.value,
                    kind=c.MaintenanceKind(kind.value),
                    reason=reason.value or "",
                    planned_duration_s=float(hours.value or 1) * 3600,
                    issued_by=viewer.username,
                )
                check_command(LineResolver(viewer.ctx.container.queries), command, viewer.scope)
                return viewer.ctx.container.decisions.propose(
                    DecisionKind.MAINTENANCE_ORDER,
                    subject=f"equipment:{machine.value}",
                    commands=[command],
                    title=f"{kind.value} maintenance of {machine.value}: {reason.value or ''}",
                    evidence={"entered_in": "maintenance page"},
                    proposed_by=viewer.username,
                )

            async def act() -> Any:
                return await run.io_bound(call)

            decision = await viewer.act("maintenance", act)
            if decision is not None:
                ui.notify(viewer.tv("decision_status", decision.status.value), type="positive")
                ui.navigate.reload()

        ui.button(t("maintenance.create"), icon="add", on_click=create).props(
            "color=primary data-test=mo-create"
        )


async def _send(viewer: Viewer, command: c.Command) -> None:
    stamped = command.model_copy(update={"issued_by": viewer.username})

    async def act() -> Any:
        await run.io_bound(viewer.bus.handle, stamped)
        return True

    if (
        await viewer.act("maintenance", act, done=viewer.t("terminal.sent", command=type(command).__name__))
        is not None
    ):
        ui.navigate.reload()
