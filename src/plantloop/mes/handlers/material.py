"""Material lots (receive, consume, hold, release) and inspections."""

from __future__ import annotations

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import (
    AlreadyExists,
    InvalidTransition,
    MesInvalidInput,
    UnknownLot,
    UnknownMaterial,
    UnknownReasonCode,
)
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.work_order import OperationStatus
from plantloop.mes.handlers.context import Context, get_lot, get_operation


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
    wo, op = get_operation(ctx, cmd.operation_id)
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
    lot = get_lot(ctx, cmd.lot_id)
    lot.hold(cmd.reason, cmd.decision_id, ctx.at)
    if lot.work_order_id and (wo := ctx.uow.work_orders.get(lot.work_order_id)) is not None:
        wo.hold(ctx.at, lot.id, cmd.reason)
    return lot.id


def release_lot(cmd: c.ReleaseLot, ctx: Context) -> str:
    lot = get_lot(ctx, cmd.lot_id)
    lot.release(cmd.reason, ctx.at)
    if lot.work_order_id and (wo := ctx.uow.work_orders.get(lot.work_order_id)) is not None:
        wo.unhold(ctx.at, lot.id)
    return lot.id


# ---- quality ---------------------------------------------------------------------------------------
def record_inspection(cmd: c.RecordInspection, ctx: Context) -> str:
    if cmd.defect_code is not None and cmd.defect_code not in {d.code for d in ctx.plant.defect_codes}:
        raise UnknownReasonCode(cmd.defect_code, "defect")
    wo, op = get_operation(ctx, cmd.operation_id)
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
