"""BOM explosion: the child work orders an order needs for the items of its product's BOM that have a
routing (:func:`makes_child`), named :func:`child_work_order_id`, sized by :func:`child_qty` and due
:data:`CHILD_LEAD_TIME` before the parent. The simulator builds its own work orders with these same
functions (:func:`plantloop.sim.orders.explode`), so that it executes what the MES lists."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from plantloop.mes.masterdata.schema import BomItem, PlantDefinition

CHILD_LEAD_TIME = timedelta(hours=8)


def makes_child(plant: PlantDefinition, item: BomItem) -> bool:
    """A BOM item is made by a child work order when its material has a routing (else it is bought)."""
    return item.material_id in plant.routings_by_material


def child_work_order_id(parent_work_order_id: str, material_id: str) -> str:
    return f"{parent_work_order_id}~{material_id}"


def child_qty(qty: float, qty_per: float) -> int:
    """Units of a child for ``qty`` of the parent: ``ceil(qty × qty_per)``, without float noise
    (50 × 1.1 is 55, not 56)."""
    return math.ceil(qty * qty_per - 1e-9)


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
        if not makes_child(plant, item):
            continue
        child = ChildOrder(
            work_order_id=child_work_order_id(work_order_id, item.material_id),
            material_id=item.material_id,
            qty=child_qty(qty, item.qty_per),
            due_at=due_at - CHILD_LEAD_TIME,
            parent_work_order_id=work_order_id,
        )
        out.append(child)
        out.extend(explode(plant, child.work_order_id, child.material_id, child.qty, child.due_at))
    return out
