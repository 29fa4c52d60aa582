"""Order release: a sales order from the twin's ERP becomes work orders in the MES.

The policy's lot sizing (``Policy.lot_sizes``, see ``optimize/scheduling/lotsize.py``) decides whether the
order goes in as one work order carrying the sales order's own work order id, or as sub-lots
``f"{work_order_id}.{i}"`` issued by the policy, created in one command (``CreateWorkOrder.lot_qtys``, the
same a real plant's ERP link uses). The MES explodes each into its component orders, as the simulator does,
and the two must agree; the plant mirrors what it sent: the operations wait, their purchased material is
required and reordered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from plantloop.kernel.errors import Conflict
from plantloop.mes.domain.commands import CreateWorkOrder, ReleaseWorkOrder
from plantloop.mes.domain.sub_lots import lots_of
from plantloop.sim import supply
from plantloop.sim.erp import SalesOrder
from plantloop.sim.orders import SimWorkOrder, explode

if TYPE_CHECKING:
    from plantloop.sim.plant import Plant


def release(plant: Plant, order: SalesOrder) -> None:
    """Turn ``order`` into work orders in the MES (one, or the policy's sub-lots, created together) and
    release them."""
    lot_sizes = plant.policy.lot_sizes
    qtys = lot_sizes(order.qty) if lot_sizes is not None else [order.qty]
    split = len(qtys) > 1
    lots = lots_of(order.work_order_id, order.qty, qtys)
    orders = [
        wo
        for lot, qty in lots
        for wo in explode(plant.definition, lot, order.material_id, qty, order.due_s, order.priority)
    ]
    try:  # the command checks the policy's lot sizes; SimPy cannot re-raise a pydantic error as it is
        create = CreateWorkOrder(
            at=plant.now_at,
            work_order_id=order.work_order_id,
            material_id=order.material_id,
            qty=order.qty,
            lot_qtys=qtys,
            due_at=plant.calendar.at(order.due_s),
            sales_order_id=order.sales_order_id,
            customer=order.customer,
            priority=order.priority,
            issued_by=f"policy:{plant.policy.name}" if split else "erp",
        )
    except ValidationError as exc:
        raise Conflict(
            f"policy {plant.policy.name!r}: {order.work_order_id}: {exc.errors()[0]['msg']}",
            work_order_id=order.work_order_id,
        ) from None
    created = plant.send(create)
    expected = [wo.id for wo in orders]
    if isinstance(created, list) and sorted(map(str, created)) != sorted(expected):
        raise Conflict(
            f"the MES created {created} for {order.work_order_id}, the simulator expected {expected}",
            work_order_id=order.work_order_id,
        )
    materials: list[str] = []
    for lot, _ in lots:
        plant.send(ReleaseWorkOrder(at=plant.now_at, work_order_id=lot, issued_by="erp"))
    for wo in orders:
        materials += [m for m in _mirror(plant, order, wo, split=split) if m not in materials]
    for mat in materials:
        supply.reorder(plant, mat)
    if plant.policy.publish_on_release:
        plant.publish()
    plant.wake_all(refresh=True)


def _mirror(plant: Plant, order: SalesOrder, wo: SimWorkOrder, *, split: bool) -> list[str]:
    """The plant's copy of a work order the MES created and released: its operations wait, numbered in
    release order, and their purchased material is required; returns that material's ids."""
    wo.released_s = plant.env.now
    wo.sales_order_id = order.sales_order_id if wo.parent is None else None
    wo.split_from = order.work_order_id if split and wo.parent is None else None
    wo.rush = order.rush
    plant.records.work_orders.append(wo)
    plant.work_orders[wo.id] = wo
    remaining = 0.0
    for op in reversed(wo.operations):
        remaining += wo.qty * op.spec.run_time_s_per_unit / plant.mean_speed[op.work_center_id]
        op.remaining_s = remaining
    required: list[str] = []
    for op in wo.operations:
        plant.add_waiting(op)
        for mat, qty_needed in op.purchased_needs:
            plant.inventory.require(mat, qty_needed)
            required.append(mat)
    return required
