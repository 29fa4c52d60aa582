"""What every handler gets (:class:`Context`) and the loading helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.errors import UnknownEquipment, UnknownLot, UnknownOperation, UnknownWorkOrder
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.work_order import Operation, WorkOrder, work_order_of
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Context:
    uow: UnitOfWork
    plant: PlantDefinition
    at: datetime
    issued_by: str


# ---- loading helpers -------------------------------------------------------------------------------
def get_work_order(ctx: Context, wo_id: str) -> WorkOrder:
    wo = ctx.uow.work_orders.get(wo_id)
    if wo is None:
        raise UnknownWorkOrder(wo_id)
    return wo


def get_operation(ctx: Context, op_id: str) -> tuple[WorkOrder, Operation]:
    wo = ctx.uow.work_orders.get(work_order_of(op_id))
    if wo is None:
        raise UnknownOperation(op_id)
    return wo, wo.operation(op_id)


def get_equipment(ctx: Context, eq_id: str) -> Equipment:
    """Equipment rows are created on first use from master data (state IDLE)."""
    eq = ctx.uow.equipment.get(eq_id)
    if eq is None:
        wc = ctx.plant.work_center_of.get(eq_id)
        if wc is None:
            raise UnknownEquipment(eq_id)
        eq = Equipment(id=eq_id, work_center_id=wc, state_since=ctx.at)
        ctx.uow.equipment.add(eq)
    return eq


def get_lot(ctx: Context, lot_id: str) -> Lot:
    lot = ctx.uow.lots.get(lot_id)
    if lot is None:
        raise UnknownLot(lot_id)
    return lot


def descendants(ctx: Context, wo_id: str) -> list[WorkOrder]:
    out: list[WorkOrder] = []
    for child_id in ctx.uow.child_work_order_ids(wo_id):
        out.append(get_work_order(ctx, child_id))
        out.extend(descendants(ctx, child_id))
    return out
