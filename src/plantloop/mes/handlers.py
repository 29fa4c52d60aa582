"""Command handlers: one per command, named verb_noun. Each loads aggregates through the unit of work,
calls the domain, and returns a small result (ids); the message bus commits and writes the events.

The wiring table (:data:`HANDLERS`) is at the bottom and fits on one screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.dispatch import BoardEntry, DispatchBoard, ScheduleVersion
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.errors import (
    AlreadyExists,
    InvalidTransition,
    MesInvalidInput,
    NoRouting,
    UnknownEquipment,
    UnknownLot,
    UnknownMaintenanceOrder,
    UnknownMaterial,
    UnknownOperation,
    UnknownReasonCode,
    UnknownWorkCenter,
    UnknownWorkOrder,
)
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.maintenance import MaintenanceOrder
from plantloop.mes.domain.work_order import (
    ACTIVE,
    Operation,
    OperationStatus,
    WorkOrder,
    exclusive_ids,
    explode,
    lots_of,
    work_order_of,
)
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Context:
    uow: UnitOfWork
    plant: PlantDefinition
    at: datetime
    issued_by: str


# ---- loading helpers -------------------------------------------------------------------------------
def _work_order(ctx: Context, wo_id: str) -> WorkOrder:
    wo = ctx.uow.work_orders.get(wo_id)
    if wo is None:
        raise UnknownWorkOrder(wo_id)
    return wo


def _operation(ctx: Context, op_id: str) -> tuple[WorkOrder, Operation]:
    wo = ctx.uow.work_orders.get(work_order_of(op_id))
    if wo is None:
        raise UnknownOperation(op_id)
    return wo, wo.operation(op_id)


def _equipment(ctx: Context, eq_id: str) -> Equipment:
    """Equipment rows are created on first use from master data (state IDLE)."""
    eq = ctx.uow.equipment.get(eq_id)
    if eq is None:
        wc = ctx.plant.work_center_of.get(eq_id)
        if wc is None:
            raise UnknownEquipment(eq_id)
        eq = Equipment(id=eq_id, work_center_id=wc, state_since=ctx.at)
        ctx.uow.equipment.add(eq)
    return eq


def _lot(ctx: Context, lot_id: str) -> Lot:
    lot = ctx.uow.lots.get(lot_id)
    if lot is None:
        raise UnknownLot(lot_id)
    return lot


def _descendants(ctx: Context, wo_id: str) -> list[WorkOrder]:
    out: list[WorkOrder] = []
    for child_id in ctx.uow.child_work_order_ids(wo_id):
        out.append(_work_order(ctx, child_id))
        out.extend(_descendants(ctx, child_id))
    return out


# ---- work orders -----------------------------------------------------------------------------------
def create_work_order(cmd: c.CreateWorkOrder, ctx: Context) -> list[str]:
    plant = ctx.plant
    if cmd.material_id not in plant.materials_by_id:
        raise UnknownMaterial(cmd.material_id)
    routing = plant.routings_by_material.get(cmd.material_id)
    if routing is None:
        raise NoRouting(cmd.material_id)
    lots = lots_of(cmd.work_order_id, cmd.qty, cmd.lot_qtys)
    orders = []
    for wo_id, qty in lots:
        orders.append((wo_id, cmd.material_id, qty, cmd.due_at, cmd.parent_work_order_id))
        orders += [
            (ch.work_order_id, ch.material_id, ch.qty, ch.due_at, ch.parent_work_order_id)
            for ch in explode(plant, wo_id, cmd.material_id, qty, cmd.due_at)
        ]
    claimed = [o[0] for o in orders] + list(exclusive_ids(cmd.work_order_id))
    existing = ctx.uow.work_orders.get_many(claimed)
    if existing:
        raise AlreadyExists("work order", next(iter(existing)))
    for wo_id, material_id, qty, due_at, parent in orders:
        ctx.uow.work_orders.add(
            WorkOrder.create(
                id=wo_id,
                material_id=material_id,
                qty=qty,
                due_at=due_at,
                priority=cmd.priority,
                routing=plant.routings_by_material[material_id].operations,
                at=ctx.at,
                parent_work_order_id=parent,
                sales_order_id=cmd.sales_order_id,
                customer=cmd.customer,
            )
        )
    return [o[0] for o in orders]


def release_work_order(cmd: c.ReleaseWorkOrder, ctx: Context) -> list[str]:
    wo = _work_order(ctx, cmd.work_order_id)
    wo.release(ctx.at)
    released = [wo.id]
    for child in _descendants(ctx, wo.id):
        if child.status.value == "created":
            child.release(ctx.at)
            released.append(child.id)
    return released


def cancel_work_order(cmd: c.CancelWorkOrder, ctx: Context) -> list[str]:
    wo = _work_order(ctx, cmd.work_order_id)
    wo.cancel(ctx.at, cmd.reason)
    cancelled = [wo.id]
    for child in _descendants(ctx, wo.id):
        if (
            child.is_open
            and not any(op.status in ACTIVE for op in child.operations)
            and child.started_at is None
        ):
            child.cancel(ctx.at, f"parent {wo.id} cancelled")
            cancelled.append(child.id)
    return cancelled


def change_work_order(cmd: c.ChangeWorkOrder, ctx: Context) -> str:
    wo = _work_order(ctx, cmd.work_order_id)
    wo.change(at=ctx.at, qty=cmd.qty, due_at=cmd.due_at, priority=cmd.priority)
    return wo.id


# ---- dispatch --------------------------------------------------------------------------------------
def publish_dispatch_lists(cmd: c.PublishDispatchLists, ctx: Context) -> list[str]:
    """Returns the work centers whose lists changed ([] when this version was already published)."""
    uow, plant = ctx.uow, ctx.plant
    if uow.schedule_versions.get(cmd.schedule_version) is not None:
        return []
    version = ScheduleVersion(
        id=cmd.schedule_version, published_at=ctx.at, decision_id=cmd.decision_id, issued_by=cmd.issued_by
    )
    uow.schedule_versions.add(version)
    orders = uow.work_orders.get_many(work_order_of(e.operation_id) for e in cmd.entries)
    by_wc: dict[str, list[BoardEntry]] = {}
    for e in cmd.entries:
        if e.work_center_id not in plant.work_centers:
            raise UnknownWorkCenter(e.work_center_id)
        if e.equipment_id is not None and plant.work_center_of.get(e.equipment_id) != e.work_center_id:
            raise MesInvalidInput(
                f"equipment {e.equipment_id!r} is not at work center {e.work_center_id!r}",
                equipment_id=e.equipment_id,
                work_center_id=e.work_center_id,
            )
        wo = orders.get(work_order_of(e.operation_id))
        if wo is None:
            raise UnknownOperation(e.operation_id)
        wo.assign(e.operation_id, e.work_center_id)
        by_wc.setdefault(e.work_center_id, []).append(
            BoardEntry(e.operation_id, e.position, e.equipment_id, e.planned_start_at, e.planned_end_at)
        )
    boards = uow.dispatch_boards.get_many(by_wc)
    for wc_id, entries in sorted(by_wc.items()):
        board = boards.get(wc_id)
        if board is None:
            board = DispatchBoard(id=wc_id)
            uow.dispatch_boards.add(board)
        board.publish(version, entries, decision_id=cmd.decision_id, at=ctx.at)
    return sorted(by_wc)


# ---- operation execution ---------------------------------------------------------------------------
def start_operation(cmd: c.StartOperation, ctx: Context) -> str:
    wo, _ = _operation(ctx, cmd.operation_id)
    eq = _equipment(ctx, cmd.equipment_id)
    eq.start_operation(cmd.operation_id, ctx.at)
    _, first = wo.start_operation(
        cmd.operation_id,
        equipment_id=eq.id,
        work_center_id=eq.work_center_id,
        operator_id=cmd.operator_id,
        at=ctx.at,
    )
    if first and ctx.uow.lots.get(wo.lot_id) is None:
        ctx.uow.lots.add(
            Lot.produce(id=wo.lot_id, material_id=wo.material_id, work_order_id=wo.id, at=ctx.at)
        )
    return cmd.operation_id


def pause_operation(cmd: c.PauseOperation, ctx: Context) -> str:
    wo, op = _operation(ctx, cmd.operation_id)
    wo.pause_operation(op.id, reason_code=cmd.reason_code, at=ctx.at)
    if op.equipment_id:
        _equipment(ctx, op.equipment_id).pause_operation(ctx.at)
    return op.id


def resume_operation(cmd: c.ResumeOperation, ctx: Context) -> str:
    wo, op = _operation(ctx, cmd.operation_id)
    wo.resume_operation(op.id, at=ctx.at)
    if op.equipment_id:
        _equipment(ctx, op.equipment_id).resume_operation(ctx.at)
    return op.id


def complete_operation(cmd: c.CompleteOperation, ctx: Context) -> str:
    if cmd.scrap_defect_code is not None and cmd.scrap_defect_code not in {
        d.code for d in ctx.plant.defect_codes
    }:
        raise UnknownReasonCode(cmd.scrap_defect_code, "defect")
    wo, op = _operation(ctx, cmd.operation_id)
    _, done = wo.complete_operation(
        op.id,
        qty_good=cmd.qty_good,
        qty_scrap=cmd.qty_scrap,
        scrap_defect_code=cmd.scrap_defect_code,
        parameters=cmd.parameters,
        at=ctx.at,
    )
    if op.equipment_id:
        _equipment(ctx, op.equipment_id).finish_operation(op.id, ctx.at)
    if done:
        lot = ctx.uow.lots.get(wo.lot_id)
        if lot is None:
            lot = Lot.produce(id=wo.lot_id, material_id=wo.material_id, work_order_id=wo.id, at=ctx.at)
            ctx.uow.lots.add(lot)
        lot.complete(float(wo.qty_good), ctx.at)
    return op.id


# ---- equipment -------------------------------------------------------------------------------------
def _downtime_reason(ctx: Context, code: str) -> bool:
    for reason in ctx.plant.downtime_reasons:
        if reason.code == code:
            return reason.planned
    raise UnknownReasonCode(code)


def start_downtime(cmd: c.StartDowntime, ctx: Context) -> str:
    planned = _downtime_reason(ctx, cmd.reason_code)
    eq = _equipment(ctx, cmd.equipment_id)
    eq.start_downtime(cmd.reason_code, planned, ctx.at)
    if eq.current_operation_id:
        wo, op = _operation(ctx, eq.current_operation_id)
        if op.status is OperationStatus.RUNNING:
            wo.pause_operation(op.id, reason_code=cmd.reason_code, at=ctx.at, by_downtime=True)
    return eq.id


def _resume_after_downtime(ctx: Context, eq: Equipment) -> bool:
    if not eq.current_operation_id:
        return False
    wo, op = _operation(ctx, eq.current_operation_id)
    if op.status is OperationStatus.PAUSED and op.paused_by_downtime:
        wo.resume_operation(op.id, at=ctx.at)
        return True
    return False


def end_downtime(cmd: c.EndDowntime, ctx: Context) -> str:
    eq = _equipment(ctx, cmd.equipment_id)
    if not eq.in_downtime:
        raise InvalidTransition("equipment", eq.id, eq.state.value, "end downtime (none is open)")
    resume = eq.state.value != "maintenance" and _resume_after_downtime(ctx, eq)
    eq.end_downtime(ctx.at, resume=resume)
    return eq.id


def change_equipment_state(cmd: c.ChangeEquipmentState, ctx: Context) -> str:
    eq = _equipment(ctx, cmd.equipment_id)
    eq.change_state(cmd.state, ctx.at)
    return eq.id


# ---- material and lots -----------------------------------------------------------------------------
def receive_material_lot(cmd: c.ReceiveMaterialLot, ctx: Context) -> str:
    if cmd.material_id not in ctx.plant.materials_by_id:
        raise UnknownMaterial(cmd.material_id)
    if cmd.supplier_id not in {s.id for s in ctx.plant.suppliers}:
        raise MesInvalidInput(f"unknown supplier {cmd.supplier_id!r}", supplier_id=cmd.supplier_id)
    if ctx.uow.lots.get(cmd.lot_id) is not None:
        raise AlreadyExists("lot", cmd.lot_id)
    ctx.uow.lots.add(
        Lot.receive(
            id=cmd.lot_id,
            material_id=cmd.material_id,
            supplier_id=cmd.supplier_id,
            qty=cmd.qty,
            supplier_lot_ref=cmd.supplier_lot_ref,
            at=ctx.at,
        )
    )
    return cmd.lot_id


def consume_material(cmd: c.ConsumeMaterial, ctx: Context) -> str:
    wo, op = _operation(ctx, cmd.operation_id)
    if op.status not in (OperationStatus.RUNNING, OperationStatus.PAUSED, OperationStatus.COMPLETED):
        raise InvalidTransition("operation", op.id, op.status.value, "consume material before it starts")
    lots = ctx.uow.lots.get_many([cmd.lot_id, wo.lot_id])
    if cmd.lot_id not in lots:
        raise UnknownLot(cmd.lot_id)
    if wo.lot_id not in lots:
        raise UnknownLot(wo.lot_id)
    lots[cmd.lot_id].consume(
        cmd.qty, into=lots[wo.lot_id], operation_id=op.id, equipment_id=op.equipment_id, at=ctx.at
    )
    return cmd.lot_id


def hold_lot(cmd: c.HoldLot, ctx: Context) -> str:
    lot = _lot(ctx, cmd.lot_id)
    lot.hold(cmd.reason, cmd.decision_id, ctx.at)
    if lot.work_order_id and (wo := ctx.uow.work_orders.get(lot.work_order_id)) is not None:
        wo.hold(ctx.at, lot.id, cmd.reason)
    return lot.id


def release_lot(cmd: c.ReleaseLot, ctx: Context) -> str:
    lot = _lot(ctx, cmd.lot_id)
    lot.release(cmd.reason, ctx.at)
    if lot.work_order_id and (wo := ctx.uow.work_orders.get(lot.work_order_id)) is not None:
        wo.unhold(ctx.at, lot.id)
    return lot.id


# ---- quality ---------------------------------------------------------------------------------------
def record_inspection(cmd: c.RecordInspection, ctx: Context) -> str:
    if cmd.defect_code is not None and cmd.defect_code not in {d.code for d in ctx.plant.defect_codes}:
        raise UnknownReasonCode(cmd.defect_code, "defect")
    wo, op = _operation(ctx, cmd.operation_id)
    if ctx.uow.inspections.get(cmd.inspection_id) is not None:
        raise AlreadyExists("inspection", cmd.inspection_id)
    ctx.uow.inspections.add(
        Inspection.record(
            id=cmd.inspection_id,
            operation_id=op.id,
            work_order_id=wo.id,
            lot_id=wo.lot_id,
            material_id=wo.material_id,
            equipment_id=op.equipment_id,
            result=cmd.result,
            qty_inspected=cmd.qty_inspected,
            qty_defective=cmd.qty_defective,
            defect_code=cmd.defect_code,
            measurements=cmd.measurements,
            inspector_id=cmd.inspector_id,
            at=ctx.at,
        )
    )
    return cmd.inspection_id


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
    _equipment(ctx, mo.equipment_id).start_maintenance(mo.id, ctx.at)
    return mo.id


def complete_maintenance(cmd: c.CompleteMaintenance, ctx: Context) -> str:
    mo = _maintenance_order(ctx, cmd.maintenance_order_id)
    mo.complete(ctx.at, cmd.notes)
    eq = _equipment(ctx, mo.equipment_id)
    if eq.complete_maintenance(ctx.at) and _resume_after_downtime(ctx, eq):
        eq.resume_operation(ctx.at)
    return mo.id


Handler = Callable[[Any, Context], Any]

HANDLERS: dict[type[c.Command], Handler] = {
    c.CreateWorkOrder: create_work_order,
    c.ReleaseWorkOrder: release_work_order,
    c.CancelWorkOrder: cancel_work_order,
    c.ChangeWorkOrder: change_work_order,
    c.PublishDispatchLists: publish_dispatch_lists,
    c.StartOperation: start_operation,
    c.PauseOperation: pause_operation,
    c.ResumeOperation: resume_operation,
    c.CompleteOperation: complete_operation,
    c.StartDowntime: start_downtime,
    c.EndDowntime: end_downtime,
    c.ChangeEquipmentState: change_equipment_state,
    c.ReceiveMaterialLot: receive_material_lot,
    c.ConsumeMaterial: consume_material,
    c.HoldLot: hold_lot,
    c.ReleaseLot: release_lot,
    c.RecordInspection: record_inspection,
    c.CreateMaintenanceOrder: create_maintenance_order,
    c.StartMaintenance: start_maintenance,
    c.CompleteMaintenance: complete_maintenance,
}
