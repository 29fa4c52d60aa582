"""Order full-process traceability as data: from a sales order (or one work order, or a lot) to every work
order, operation, lot, component lot, inspection and completion on one timeline, with the raw MES events
of each subject for drill-down.

Everything is read through the viewer's row-scoped MES read side, so an order on another line is simply
not found. Shipment is not an MES fact yet: the trace ends at the finished lot ("ready to ship") and says
so, rather than inventing a shipment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plantloop.kernel.ports import OutboxRecord
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.sub_lots import MAX_SUB_LOTS, sub_lot_id
from plantloop.mes.domain.work_order import WorkOrder, lot_of
from plantloop.mes.queries import GenealogyLink, MesQueries

#: Order of entries at the same instant: the story reads cause before effect.
KIND_ORDER = {
    "order_created": 0,
    "order_released": 1,
    "material_consumed": 2,
    "operation_started": 3,
    "operation_completed": 4,
    "inspection": 5,
    "order_completed": 6,
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # order_created | order_released | operation_started | operation_completed | inspection | ...
    subject: str
    title: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    root: str
    sales_order_id: str | None
    customer: str | None
    orders: list[WorkOrder]
    lots: list[Lot]
    components: list[GenealogyLink]
    timeline: list[TimelineEntry]

    @property
    def subjects(self) -> list[str]:
        """Every id whose raw events belong to this trace (orders, operations, lots)."""
        out = [wo.id for wo in self.orders]
        out += [op.id for wo in self.orders for op in wo.operations]
        out += [lot.id for lot in self.lots]
        return list(dict.fromkeys(out))


def resolve(queries: MesQueries, key: str) -> list[WorkOrder]:
    """The work orders ``key`` names: a sales order, a work order (with its siblings of the same sales
    order and its child orders), an order created in sub-lots (its sub-lots ``key.1``, ``key.2``, …) or a
    lot (its producing work order). Empty if none is visible."""
    key = key.strip()
    if not key:
        return []
    by_sales = queries.work_orders_of(sales_order_id=key)
    roots = by_sales
    if not roots:
        wo = queries.work_order(key)
        if wo is None:
            lot = queries.lot(key)
            wo = queries.work_order(lot.work_order_id) if lot is not None and lot.work_order_id else None
        if wo is None:
            roots = list(_sub_lots(queries, key))
            if not roots:
                return []
            wo = roots[0]
        while wo.parent_work_order_id:
            parent = queries.work_order(wo.parent_work_order_id)
            if parent is None:
                break
            wo = parent
        if wo.sales_order_id:
            roots = queries.work_orders_of(sales_order_id=wo.sales_order_id)
        elif not roots:
            roots = [wo]
    out: dict[str, WorkOrder] = {}
    frontier = list(roots)
    while frontier:
        wo = frontier.pop(0)
        if wo.id in out:
            continue
        out[wo.id] = wo
        frontier += queries.work_orders_of(parent_work_order_id=wo.id)
    return list(out.values())


def _sub_lots(queries: MesQueries, work_order_id: str) -> Iterator[WorkOrder]:
    """The sub-lots ``<work_order_id>.1``, ``.2``, … of an order created in sub-lots, in order (one read)."""
    ids = [sub_lot_id(work_order_id, index) for index in range(1, MAX_SUB_LOTS + 1)]
    found = queries.work_orders_by_id(ids)
    for lot_id in ids:
        if lot_id not in found:
            return
        yield found[lot_id]


def build_trace(queries: MesQueries, key: str) -> Trace | None:
    orders = resolve(queries, key)
    if not orders:
        return None
    lots: list[Lot] = []
    components: list[GenealogyLink] = []
    timeline: list[TimelineEntry] = []
    for wo in orders:
        if wo.created_at:
            detail = {"material": wo.material_id, "qty": wo.qty, "due_at": wo.due_at}
            timeline.append(TimelineEntry(wo.created_at, "order_created", wo.id, wo.id, detail))
        if wo.released_at:
            timeline.append(TimelineEntry(wo.released_at, "order_released", wo.id, wo.id, {}))
        for op in wo.operations:
            if op.started_at:
                timeline.append(
                    TimelineEntry(
                        op.started_at,
                        "operation_started",
                        op.id,
                        f"{op.id} · {op.name}",
                        {"equipment": op.equipment_id, "operator": op.operator_id},
                    )
                )
            if op.completed_at:
                timeline.append(
                    TimelineEntry(
                        op.completed_at,
                        "operation_completed",
                        op.id,
                        f"{op.id} · {op.name}",
                        {"equipment": op.equipment_id, "good": op.qty_good, "scrap": op.qty_scrap},
                    )
                )
        for inspection in queries.inspections(work_order_id=wo.id, limit=500):
            timeline.append(
                TimelineEntry(
                    inspection.recorded_at,
                    "inspection",
                    inspection.operation_id,
                    f"{inspection.id} · {inspection.result.value}",
                    {
                        "inspected": inspection.qty_inspected,
                        "defective": inspection.qty_defective,
                        "defect": inspection.defect_code,
                        "lot": inspection.lot_id,
                    },
                )
            )
        lot = queries.lot(lot_of(wo.id))
        if lot is not None:
            lots.append(lot)
            links = queries.genealogy(lot.id, "backward", max_depth=1)
            components += links
            for link in links:
                timeline.append(
                    TimelineEntry(
                        link.at,
                        "material_consumed",
                        link.produced_lot_id,
                        f"{link.component_lot_id} → {link.produced_lot_id}",
                        {"qty": link.qty, "operation": link.operation_id},
                    )
                )
        if wo.completed_at:
            timeline.append(
                TimelineEntry(
                    wo.completed_at,
                    "order_completed",
                    wo.id,
                    wo.id,
                    {
                        "good": wo.qty_good,
                        "scrap": wo.qty_scrap,
                        "due_at": wo.due_at,
                        "on_time": wo.completed_at <= wo.due_at,
                        "lot": lot_of(wo.id),
                    },
                )
            )
    timeline.sort(key=lambda e: (e.at, KIND_ORDER.get(e.kind, 99)))
    root = next((wo for wo in orders if wo.parent_work_order_id is None), orders[0])
    return Trace(
        root=root.id,
        sales_order_id=root.sales_order_id,
        customer=root.customer,
        orders=orders,
        lots=lots,
        components=components,
        timeline=timeline,
    )


def raw_events(queries: MesQueries, subjects: list[str], limit_per_subject: int = 200) -> list[OutboxRecord]:
    """The raw outbox events of ``subjects`` in sequence order (each subject capped)."""
    found: dict[int, OutboxRecord] = {}
    for subject in subjects:
        for record in queries.events(subject=subject, limit=limit_per_subject):
            found[record.seq] = record
    return [found[seq] for seq in sorted(found)]


def recent_orders(queries: MesQueries, limit: int = 30) -> list[WorkOrder]:
    """Top-level work orders to start a trace from: in progress first, then the most recently completed."""
    out: list[WorkOrder] = []
    for status in ("in_progress", "released", "completed"):
        from plantloop.mes.domain.work_order import WorkOrderStatus

        found = queries.work_orders(status=WorkOrderStatus(status), limit=1000)
        found = [wo for wo in found if wo.parent_work_order_id is None]
        out += list(reversed(found))[: limit - len(out)]
        if len(out) >= limit:
            break
    return out
