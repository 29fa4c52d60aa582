"""BOM explosion: the child work orders an order needs for the intermediates in its product's BOM that
have a routing (``f"{parent}~{material}"``, due :data:`CHILD_LEAD_TIME` before the parent). The simulator
applies the same rules (:func:`plantloop.sim.orders.explode`) so that it executes what the MES lists."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from plantloop.mes.masterdata.schema import PlantDefinition

CHILD_LEAD_TIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class ChildOrder:
    """A child work order that BOM explosion asks for."""

    work_order_id: str
    material_id: str
    qty: int
    due_at: datetime
    parent_work_order_id: str


def explode(
    plant: PlantDefinition, work_order_id: str, material_id: str, qty: int, due_at: datetime
) -> list[ChildOrder]:
    """Child orders (recursively, depth first, parents before their children) for every intermediate in
    the BOM of ``material_id`` that has a routing: qty = ceil(qty × qty_per), due 8 h before the parent."""
    out: list[ChildOrder] = []
    bom = plant.boms_by_material.get(material_id)
    if bom is None:
        return out
    for item in bom.items:
        if item.material_id not in plant.routings_by_material:
            continue
        child = ChildOrder(
            work_order_id=f"{work_order_id}~{item.material_id}",
            material_id=item.material_id,
            qty=math.ceil(qty * item.qty_per - 1e-9),
            due_at=due_at - CHILD_LEAD_TIME,
            parent_work_order_id=work_order_id,
        )
        out.append(child)
        out.extend(explode(plant, child.work_order_id, child.material_id, child.qty, child.due_at))
    return out
