"""The simulator's own mirror of work orders and operations, built with the MES conventions.

The simulator explodes a product's BOM with the MES's own rules (:mod:`plantloop.mes.domain.bom`: which
items get a child work order, its id, quantity and due date) and names operations and lots as the MES does
(:func:`~plantloop.mes.domain.work_order.operation_id`, ``LOT-<work order>``), so that it can execute what
the MES will list without asking the MES about every detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from plantloop.mes.domain.bom import CHILD_LEAD_TIME, child_qty, child_work_order_id, makes_child
from plantloop.mes.domain.work_order import operation_id
from plantloop.mes.masterdata.schema import MaterialKind, PlantDefinition, RoutingOperation


class OpState(Enum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"


@dataclass(eq=False)
class SimOperation:
    id: str
    work_order: SimWorkOrder
    index: int
    spec: RoutingOperation
    work_center_id: str
    #: Purchased components to consume at start: (material_id, qty).
    purchased_needs: list[tuple[str, float]] = field(default_factory=list)
    #: Child work orders whose lot this operation consumes: (child, qty).
    child_needs: list[tuple[SimWorkOrder, float]] = field(default_factory=list)
    state: OpState = OpState.WAITING
    equipment_id: str | None = None
    operator_id: str | None = None
    qty_in: int = 0
    qty_good: int = 0
    qty_scrap: int = 0
    #: Scrapped units per injected cause (ground truth: base, machine, drift, shift, lot).
    scrap_by_cause: dict[str, int] = field(default_factory=dict)
    started_s: float | None = None
    completed_s: float | None = None
    setup_s: float = 0.0
    #: Wall-clock intervals (sim seconds) during which the equipment was processing this operation.
    run_segments: list[tuple[float, float]] = field(default_factory=list)
    #: Standard seconds of this and the later operations of the work order (for slack).
    remaining_s: float = 0.0
    #: Creation order over the whole run (FIFO tie-break).
    order_index: int = 0


@dataclass(eq=False)
class SimWorkOrder:
    id: str
    material_id: str
    family: str
    qty: int
    due_s: float
    priority: int
    parent: SimWorkOrder | None = None
    children: list[SimWorkOrder] = field(default_factory=list)
    operations: list[SimOperation] = field(default_factory=list)
    sales_order_id: str | None = None
    #: the ERP's work order id this one is a sub-lot of (None: the order was released as one lot)
    split_from: str | None = None
    rush: bool = False
    released_s: float | None = None
    completed_s: float | None = None
    qty_good: int = 0
    #: Consumed a bad supplier lot (directly or through a child's lot).
    tainted_by: str | None = None
    #: Its lot is on hold in the MES: no operation starts and nobody consumes the lot (see ``mrb.py``).
    held: bool = False

    @property
    def is_top_level(self) -> bool:
        return self.parent is None

    @property
    def order_key(self) -> str:
        """The customer order this work order delivers (its own id unless it is a sub-lot)."""
        return self.split_from or self.id


def explode(
    plant: PlantDefinition, work_order_id: str, material_id: str, qty: int, due_s: float, priority: int
) -> list[SimWorkOrder]:
    """The work order and its child work orders (depth first, children after their parent)."""
    out: list[SimWorkOrder] = []
    _explode(plant, work_order_id, material_id, qty, due_s, priority, None, out)
    return out


def _explode(
    plant: PlantDefinition,
    wo_id: str,
    material_id: str,
    qty: int,
    due_s: float,
    priority: int,
    parent: SimWorkOrder | None,
    out: list[SimWorkOrder],
) -> SimWorkOrder:
    material = plant.materials_by_id[material_id]
    wo = SimWorkOrder(
        id=wo_id,
        material_id=material_id,
        family=material.family or material_id,
        qty=qty,
        due_s=due_s,
        priority=priority,
        parent=parent,
    )
    out.append(wo)
    children: dict[str, SimWorkOrder] = {}
    bom = plant.boms_by_material.get(material_id)
    for item in bom.items if bom else []:
        if makes_child(plant, item):
            child = _explode(
                plant,
                child_work_order_id(wo_id, item.material_id),
                item.material_id,
                child_qty(qty, item.qty_per),
                due_s - CHILD_LEAD_TIME.total_seconds(),
                priority,
                wo,
                out,
            )
            children[item.material_id] = child
    wo.children = list(children.values())
    routing = plant.routings_by_material[material_id]
    for index, spec in enumerate(routing.operations):
        op = SimOperation(
            id=operation_id(wo_id, spec.seq),
            work_order=wo,
            index=index,
            spec=spec,
            work_center_id=spec.work_center_ids[0],
            qty_in=qty if index == 0 else 0,
        )
        for item in spec.consumes:
            if item.material_id in children:
                op.child_needs.append((children[item.material_id], qty * item.qty_per))
            elif plant.materials_by_id[item.material_id].kind is MaterialKind.PURCHASED:
                op.purchased_needs.append((item.material_id, qty * item.qty_per))
        wo.operations.append(op)
    return wo


def work_content_s(plant: PlantDefinition, material_id: str, qty: float) -> dict[str, float]:
    """Standard processing seconds per preferred work center for ``qty`` units, children included."""
    out: dict[str, float] = {}
    routing = plant.routings_by_material[material_id]
    for spec in routing.operations:
        wc = spec.work_center_ids[0]
        out[wc] = out.get(wc, 0.0) + qty * spec.run_time_s_per_unit
    bom = plant.boms_by_material.get(material_id)
    for item in bom.items if bom else []:
        if makes_child(plant, item):
            for wc, secs in work_content_s(plant, item.material_id, qty * item.qty_per).items():
                out[wc] = out.get(wc, 0.0) + secs
    return out
