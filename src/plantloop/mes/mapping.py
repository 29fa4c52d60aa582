"""How each aggregate becomes table rows and back. Both stores (SQL and in-memory) use these mappers, so
the in-memory twin round-trips exactly what the database would.

``to_rows`` gives ``{table name: {primary key tuple: row}}``; the root row carries ``event_seq`` but not
``version`` (the store owns that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from plantloop.mes import orm
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.commands import EquipmentState, InspectionResult, MaintenanceKind
from plantloop.mes.domain.dispatch import BoardEntry, DispatchBoard, ScheduleVersion
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import GenealogyEdge, Lot, LotKind, LotStatus
from plantloop.mes.domain.maintenance import MaintenanceOrder, MaintenanceStatus
from plantloop.mes.domain.work_order import Operation, OperationStatus, WorkOrder, WorkOrderStatus

A = TypeVar("A", bound=Aggregate)
Row = dict[str, Any]
Rows = dict[str, dict[tuple[Any, ...], Row]]


@dataclass(frozen=True)
class Child:
    table: sa.Table
    fk: str
    pk: tuple[str, ...]


@dataclass(frozen=True)
class Mapper(Generic[A]):
    root: sa.Table
    to_rows: Callable[[A], Rows]
    from_rows: Callable[[Row, dict[str, list[Row]]], A]
    children: tuple[Child, ...] = field(default=())


def _root(
    agg: Aggregate, table: sa.Table, row: Row, children: dict[str, dict[tuple[Any, ...], Row]] | None = None
) -> Rows:
    row["id"] = agg.id
    row["event_seq"] = agg.event_seq
    out: Rows = {table.name: {(agg.id,): row}}
    if children:
        out.update(children)
    return out


# ---- work orders -----------------------------------------------------------------------------------
def _wo_rows(wo: WorkOrder) -> Rows:
    ops = {
        (op.id,): {
            "id": op.id,
            "work_order_id": wo.id,
            "seq": op.seq,
            "name": op.name,
            "work_center_ids": ",".join(op.work_center_ids),
            "work_center_id": op.work_center_id,
            "status": op.status.value,
            "equipment_id": op.equipment_id,
            "operator_id": op.operator_id,
            "started_at": op.started_at,
            "completed_at": op.completed_at,
            "qty_good": op.qty_good,
            "qty_scrap": op.qty_scrap,
            "pause_reason": op.pause_reason,
            "paused_by_downtime": op.paused_by_downtime,
        }
        for op in wo.operations
    }
    row = {
        "material_id": wo.material_id,
        "qty": wo.qty,
        "due_at": wo.due_at,
        "priority": wo.priority,
        "status": wo.status.value,
        "held": wo.held,
        "parent_work_order_id": wo.parent_work_order_id,
        "sales_order_id": wo.sales_order_id,
        "customer": wo.customer,
        "created_at": wo.created_at,
        "released_at": wo.released_at,
        "started_at": wo.started_at,
        "completed_at": wo.completed_at,
        "qty_good": wo.qty_good,
        "qty_scrap": wo.qty_scrap,
    }
    return _root(wo, orm.work_orders, row, {orm.operations.name: ops})


def operation_from_row(r: Row) -> Operation:
    return Operation(
        id=r["id"],
        work_order_id=r["work_order_id"],
        seq=r["seq"],
        name=r["name"],
        work_center_ids=tuple(r["work_center_ids"].split(",")),
        work_center_id=r["work_center_id"],
        status=OperationStatus(r["status"]),
        equipment_id=r["equipment_id"],
        operator_id=r["operator_id"],
        started_at=r["started_at"],
        completed_at=r["completed_at"],
        qty_good=r["qty_good"],
        qty_scrap=r["qty_scrap"],
        pause_reason=r["pause_reason"],
        paused_by_downtime=bool(r["paused_by_downtime"]),
    )


def _wo_from(r: Row, children: dict[str, list[Row]]) -> WorkOrder:
    ops = sorted((operation_from_row(o) for o in children.get(orm.operations.name, [])), key=lambda o: o.seq)
    return WorkOrder(
        id=r["id"],
        material_id=r["material_id"],
        qty=r["qty"],
        due_at=r["due_at"],
        priority=r["priority"],
        operations=ops,
        status=WorkOrderStatus(r["status"]),
        held=bool(r["held"]),
        parent_work_order_id=r["parent_work_order_id"],
        sales_order_id=r["sales_order_id"],
        customer=r["customer"],
        created_at=r["created_at"],
        released_at=r["released_at"],
        started_at=r["started_at"],
        completed_at=r["completed_at"],
        qty_good=r["qty_good"],
        qty_scrap=r["qty_scrap"],
        event_seq=r["event_seq"],
    )


# ---- lots ------------------------------------------------------------------------------------------
def _lot_rows(lot: Lot) -> Rows:
    edges = {
        (lot.id, i): {
            "produced_lot_id": lot.id,
            "idx": i,
            "component_lot_id": e.component_lot_id,
            "qty": e.qty,
            "operation_id": e.operation_id,
            "at": e.at,
        }
        for i, e in enumerate(lot.components)
    }
    row = {
        "material_id": lot.material_id,
        "lot_kind": lot.lot_kind.value,
        "qty": lot.qty,
        "status": lot.status.value,
        "held": lot.held,
        "supplier_id": lot.supplier_id,
        "supplier_lot_ref": lot.supplier_lot_ref,
        "work_order_id": lot.work_order_id,
        "created_at": lot.created_at,
    }
    return _root(lot, orm.lots, row, {orm.genealogy_edges.name: edges})


def _lot_from(r: Row, children: dict[str, list[Row]]) -> Lot:
    edges = sorted(children.get(orm.genealogy_edges.name, []), key=lambda e: e["idx"])
    return Lot(
        id=r["id"],
        material_id=r["material_id"],
        lot_kind=LotKind(r["lot_kind"]),
        qty=r["qty"],
        status=LotStatus(r["status"]),
        held=bool(r["held"]),
        supplier_id=r["supplier_id"],
        supplier_lot_ref=r["supplier_lot_ref"],
        work_order_id=r["work_order_id"],
        created_at=r["created_at"],
        components=[
            GenealogyEdge(
                component_lot_id=e["component_lot_id"],
                qty=e["qty"],
                operation_id=e["operation_id"],
                at=e["at"],
            )
            for e in edges
        ],
        event_seq=r["event_seq"],
    )


# ---- equipment -------------------------------------------------------------------------------------
def _eq_rows(eq: Equipment) -> Rows:
    row = {
        "work_center_id": eq.work_center_id,
        "state": eq.state.value,
        "state_since": eq.state_since,
        "current_operation_id": eq.current_operation_id,
        "downtime_reason_code": eq.downtime_reason_code,
        "downtime_planned": eq.downtime_planned,
        "downtime_started_at": eq.downtime_started_at,
        "maintenance_order_id": eq.maintenance_order_id,
    }
    return _root(eq, orm.equipment, row)


def _eq_from(r: Row, _: dict[str, list[Row]]) -> Equipment:
    return Equipment(
        id=r["id"],
        work_center_id=r["work_center_id"],
        state=EquipmentState(r["state"]),
        state_since=r["state_since"],
        current_operation_id=r["current_operation_id"],
        downtime_reason_code=r["downtime_reason_code"],
        downtime_planned=bool(r["downtime_planned"]),
        downtime_started_at=r["downtime_started_at"],
        maintenance_order_id=r["maintenance_order_id"],
        event_seq=r["event_seq"],
    )


# ---- maintenance orders ----------------------------------------------------------------------------
def _mo_rows(mo: MaintenanceOrder) -> Rows:
    row = {
        "equipment_id": mo.equipment_id,
        "kind": mo.maintenance_kind.value,
        "status": mo.status.value,
        "reason": mo.reason,
        "planned_start_at": mo.planned_start_at,
        "planned_duration_s": mo.planned_duration_s,
        "decision_id": mo.decision_id,
        "details": dict(mo.details),
        "created_at": mo.created_at,
        "started_at": mo.started_at,
        "completed_at": mo.completed_at,
        "notes": mo.notes,
    }
    return _root(mo, orm.maintenance_orders, row)


def _mo_from(r: Row, _: dict[str, list[Row]]) -> MaintenanceOrder:
    return MaintenanceOrder(
        id=r["id"],
        equipment_id=r["equipment_id"],
        maintenance_kind=MaintenanceKind(r["kind"]),
        status=MaintenanceStatus(r["status"]),
        reason=r["reason"],
        planned_start_at=r["planned_start_at"],
        planned_duration_s=r["planned_duration_s"],
        decision_id=r["decision_id"],
        details=dict(r["details"] or {}),
        created_at=r["created_at"],
        started_at=r["started_at"],
        completed_at=r["completed_at"],
        notes=r["notes"],
        event_seq=r["event_seq"],
    )


# ---- inspections -----------------------------------------------------------------------------------
def _insp_rows(i: Inspection) -> Rows:
    row = {
        "operation_id": i.operation_id,
        "work_order_id": i.work_order_id,
        "lot_id": i.lot_id,
        "material_id": i.material_id,
        "equipment_id": i.equipment_id,
        "result": i.result.value,
        "qty_inspected": i.qty_inspected,
        "qty_defective": i.qty_defective,
        "defect_code": i.defect_code,
        "measurements": dict(i.measurements),
        "inspector_id": i.inspector_id,
        "recorded_at": i.recorded_at,
    }
    return _root(i, orm.inspections, row)


def _insp_from(r: Row, _: dict[str, list[Row]]) -> Inspection:
    return Inspection(
        id=r["id"],
        operation_id=r["operation_id"],
        work_order_id=r["work_order_id"],
        lot_id=r["lot_id"],
        material_id=r["material_id"],
        equipment_id=r["equipment_id"],
        result=InspectionResult(r["result"]),
        qty_inspected=r["qty_inspected"],
        qty_defective=r["qty_defective"],
        defect_code=r["defect_code"],
        measurements=dict(r["measurements"] or {}),
        inspector_id=r["inspector_id"],
        recorded_at=r["recorded_at"],
        event_seq=r["event_seq"],
    )


# ---- dispatch --------------------------------------------------------------------------------------
def _sv_rows(v: ScheduleVersion) -> Rows:
    row = {"published_at": v.published_at, "decision_id": v.decision_id, "issued_by": v.issued_by}
    return _root(v, orm.schedule_versions, row)


def _sv_from(r: Row, _: dict[str, list[Row]]) -> ScheduleVersion:
    return ScheduleVersion(
        id=r["id"],
        published_at=r["published_at"],
        decision_id=r["decision_id"],
        issued_by=r["issued_by"],
        event_seq=r["event_seq"],
    )


def _board_rows(b: DispatchBoard) -> Rows:
    entries = {
        (b.id, e.operation_id): {
            "work_center_id": b.id,
            "operation_id": e.operation_id,
            "position": e.position,
            "equipment_id": e.equipment_id,
            "planned_start_at": e.planned_start_at,
            "planned_end_at": e.planned_end_at,
        }
        for e in b.entries
    }
    row = {"schedule_version": b.schedule_version, "published_at": b.published_at}
    return _root(b, orm.dispatch_boards, row, {orm.dispatch_entries.name: entries})


def board_entry_from_row(e: Row) -> BoardEntry:
    return BoardEntry(
        operation_id=e["operation_id"],
        position=e["position"],
        equipment_id=e["equipment_id"],
        planned_start_at=e["planned_start_at"],
        planned_end_at=e["planned_end_at"],
    )


def _board_from(r: Row, children: dict[str, list[Row]]) -> DispatchBoard:
    entries = [board_entry_from_row(e) for e in children.get(orm.dispatch_entries.name, [])]
    return DispatchBoard(
        id=r["id"],
        schedule_version=r["schedule_version"],
        published_at=r["published_at"],
        entries=sorted(entries, key=lambda e: (e.position, e.operation_id)),
        event_seq=r["event_seq"],
    )


WORK_ORDERS = Mapper[WorkOrder](
    orm.work_orders, _wo_rows, _wo_from, (Child(orm.operations, "work_order_id", ("id",)),)
)
LOTS = Mapper[Lot](
    orm.lots,
    _lot_rows,
    _lot_from,
    (Child(orm.genealogy_edges, "produced_lot_id", ("produced_lot_id", "idx")),),
)
EQUIPMENT = Mapper[Equipment](orm.equipment, _eq_rows, _eq_from)
MAINTENANCE_ORDERS = Mapper[MaintenanceOrder](orm.maintenance_orders, _mo_rows, _mo_from)
INSPECTIONS = Mapper[Inspection](orm.inspections, _insp_rows, _insp_from)
SCHEDULE_VERSIONS = Mapper[ScheduleVersion](orm.schedule_versions, _sv_rows, _sv_from)
DISPATCH_BOARDS = Mapper[DispatchBoard](
    orm.dispatch_boards,
    _board_rows,
    _board_from,
    (Child(orm.dispatch_entries, "work_center_id", ("work_center_id", "operation_id")),),
)
