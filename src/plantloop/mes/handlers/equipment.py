"""Equipment states, downtime and maintenance orders."""

from __future__ import annotations

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.errors import (
    AlreadyExists,
    InvalidTransition,
    UnknownEquipment,
    UnknownMaintenanceOrder,
    UnknownReasonCode,
)
from plantloop.mes.domain.maintenance import MaintenanceOrder
from plantloop.mes.domain.work_order import OperationStatus
from plantloop.mes.handlers.context import Context, get_equipment, get_operation


# ---- equipment -------------------------------------------------------------------------------------
def _downtime_reason(ctx: Context, code: str) -> bool:
    for reason in ctx.plant.downtime_reasons:
        if reason.code == code:
            return reason.planned
    raise UnknownReasonCode(code)


def start_downtime(cmd: c.StartDowntime, ctx: Context) -> str:
    planned = _downtime_reason(ctx, cmd.reason_code)
    eq = get_equipment(ctx, cmd.equipment_id)
    eq.start_downtime(cmd.reason_code, planned, ctx.at)
    if eq.current_operation_id:
        wo, op = get_operation(ctx, eq.current_operation_id)
        if op.status is OperationStatus.RUNNING:
            wo.pause_operation(op.id, reason_code=cmd.reason_code, at=ctx.at, by_downtime=True)
    return eq.id


def _resume_after_downtime(ctx: Context, eq: Equipment) -> bool:
    if not eq.current_operation_id:
        return False
    wo, op = get_operation(ctx, eq.current_operation_id)
    if op.status is OperationStatus.PAUSED and op.paused_by_downtime:
        wo.resume_operation(op.id, at=ctx.at)
        return True
    return False


def end_downtime(cmd: c.EndDowntime, ctx: Context) -> str:
    eq = get_equipment(ctx, cmd.equipment_id)
    if not eq.in_downtime:
        raise InvalidTransition("equipment", eq.id, eq.state.value, "end downtime (none is open)")
    resume = eq.state.value != "maintenance" and _resume_after_downtime(ctx, eq)
    eq.end_downtime(ctx.at, resume=resume)
    return eq.id


def change_equipment_state(cmd: c.ChangeEquipmentState, ctx: Context) -> str:
    eq = get_equipment(ctx, cmd.equipment_id)
    eq.change_state(cmd.state, ctx.at)
    return eq.id


# ---- maintenance -----------------------------------------------------------------------------------
def _maintenance_order(ctx: Context, mo_id: str) -> MaintenanceOrder:
    mo = ctx.uow.maintenance_orders.get(mo_id)
    if mo is None:
        raise UnknownMaintenanceOrder(mo_id)
    return mo


def create_maintenance_order(cmd: c.CreateMaintenanceOrder, ctx: Context) -> str:
    if cmd.equipment_id not in ctx.plant.equipment:
        raise UnknownEquipment(cmd.equipment_id)
    if ctx.uow.maintenance_orders.get(cmd.maintenance_order_id) is not None:
        raise AlreadyExists("maintenance order", cmd.maintenance_order_id)
    ctx.uow.maintenance_orders.add(
        MaintenanceOrder.create(
            id=cmd.maintenance_order_id,
            equipment_id=cmd.equipment_id,
            maintenance_kind=cmd.kind,
            reason=cmd.reason,
            planned_start_at=cmd.planned_start_at,
            planned_duration_s=cmd.planned_duration_s,
            decision_id=cmd.decision_id,
            details=cmd.details,
            at=ctx.at,
        )
    )
    return cmd.maintenance_order_id


def start_maintenance(cmd: c.StartMaintenance, ctx: Context) -> str:
    mo = _maintenance_order(ctx, cmd.maintenance_order_id)
    mo.start(ctx.at)
    get_equipment(ctx, mo.equipment_id).start_maintenance(mo.id, ctx.at)
    return mo.id


def complete_maintenance(cmd: c.CompleteMaintenance, ctx: Context) -> str:
    mo = _maintenance_order(ctx, cmd.maintenance_order_id)
    mo.complete(ctx.at, cmd.notes)
    eq = get_equipment(ctx, mo.equipment_id)
    if eq.complete_maintenance(ctx.at) and _resume_after_downtime(ctx, eq):
        eq.resume_operation(ctx.at)
    return mo.id
