"""Operation execution: start, pause, resume, complete."""

from __future__ import annotations

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import UnknownReasonCode
from plantloop.mes.domain.lot import Lot
from plantloop.mes.handlers.context import Context, get_equipment, get_operation


def start_operation(cmd: c.StartOperation, ctx: Context) -> str:
    wo, _ = get_operation(ctx, cmd.operation_id)
    eq = get_equipment(ctx, cmd.equipment_id)
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
    wo, op = get_operation(ctx, cmd.operation_id)
    wo.pause_operation(op.id, reason_code=cmd.reason_code, at=ctx.at)
    if op.equipment_id:
        get_equipment(ctx, op.equipment_id).pause_operation(ctx.at)
    return op.id


def resume_operation(cmd: c.ResumeOperation, ctx: Context) -> str:
    wo, op = get_operation(ctx, cmd.operation_id)
    wo.resume_operation(op.id, at=ctx.at)
    if op.equipment_id:
        get_equipment(ctx, op.equipment_id).resume_operation(ctx.at)
    return op.id


def complete_operation(cmd: c.CompleteOperation, ctx: Context) -> str:
    if cmd.scrap_defect_code is not None and cmd.scrap_defect_code not in {
        d.code for d in ctx.plant.defect_codes
    }:
        raise UnknownReasonCode(cmd.scrap_defect_code, "defect")
    wo, op = get_operation(ctx, cmd.operation_id)
    _, done = wo.complete_operation(
        op.id,
        qty_good=cmd.qty_good,
        qty_scrap=cmd.qty_scrap,
        scrap_defect_code=cmd.scrap_defect_code,
        parameters=cmd.parameters,
        at=ctx.at,
    )
    if op.equipment_id:
        get_equipment(ctx, op.equipment_id).finish_operation(op.id, ctx.at)
    if done:
        lot = ctx.uow.lots.get(wo.lot_id)
        if lot is None:
            lot = Lot.produce(id=wo.lot_id, material_id=wo.material_id, work_order_id=wo.id, at=ctx.at)
            ctx.uow.lots.add(lot)
        lot.complete(float(wo.qty_good), ctx.at)
    return op.id
