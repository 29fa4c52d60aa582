"""Work orders (create in whole or in sub-lots, release, cancel, change) and dispatch lists."""

from __future__ import annotations

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.bom import explode
from plantloop.mes.domain.dispatch import BoardEntry, DispatchBoard, ScheduleVersion
from plantloop.mes.domain.errors import (
    AlreadyExists,
    MesInvalidInput,
    NoRouting,
    UnknownMaterial,
    UnknownOperation,
    UnknownWorkCenter,
)
from plantloop.mes.domain.sub_lots import exclusive_ids, lots_of
from plantloop.mes.domain.work_order import ACTIVE, WorkOrder, work_order_of
from plantloop.mes.handlers.context import Context, descendants, get_work_order


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
    wo = get_work_order(ctx, cmd.work_order_id)
    wo.release(ctx.at)
    released = [wo.id]
    for child in descendants(ctx, wo.id):
        if child.status.value == "created":
            child.release(ctx.at)
            released.append(child.id)
    return released


def cancel_work_order(cmd: c.CancelWorkOrder, ctx: Context) -> list[str]:
    wo = get_work_order(ctx, cmd.work_order_id)
    wo.cancel(ctx.at, cmd.reason)
    cancelled = [wo.id]
    for child in descendants(ctx, wo.id):
        if (
            child.is_open
            and not any(op.status in ACTIVE for op in child.operations)
            and child.started_at is None
        ):
            child.cancel(ctx.at, f"parent {wo.id} cancelled")
            cancelled.append(child.id)
    return cancelled


def change_work_order(cmd: c.ChangeWorkOrder, ctx: Context) -> str:
    wo = get_work_order(ctx, cmd.work_order_id)
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
