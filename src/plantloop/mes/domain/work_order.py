"""Work orders and their operations: what to make, how much, by when, and the state of each routing step.

An operation's id is ``f"{work_order_id}/{seq:03d}"``. States::

    work order:  CREATED → RELEASED → IN_PROGRESS → COMPLETED       (CANCELLED from any but COMPLETED;
                 ``held`` is a flag set while the order's lot is on hold — held orders do not start work)
    operation:   PENDING → READY → RUNNING ⇄ PAUSED → COMPLETED       (CANCELLED with its order)

An operation is READY when its order is released and the previous operation is complete (the first one on
release). BOM explosion (child orders for intermediates) is in :mod:`plantloop.mes.domain.bom`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.errors import (
    InvalidTransition,
    OperationNotReady,
    UnknownOperation,
    WrongWorkCenter,
)
from plantloop.mes.masterdata.schema import RoutingOperation


class WorkOrderStatus(StrEnum):
    CREATED = "created"
    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OperationStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


NOT_STARTED = frozenset({OperationStatus.PENDING, OperationStatus.READY})
ACTIVE = frozenset({OperationStatus.RUNNING, OperationStatus.PAUSED})


def operation_id(work_order_id: str, seq: int) -> str:
    return f"{work_order_id}/{seq:03d}"


def work_order_of(operation_id: str) -> str:
    """The work order id inside an operation id (everything before the last '/')."""
    wo_id, sep, _ = operation_id.rpartition("/")
    if not sep or not wo_id:
        raise UnknownOperation(operation_id)
    return wo_id


def lot_of(work_order_id: str) -> str:
    return f"LOT-{work_order_id}"


@dataclass(slots=True)
class Operation:
    id: str
    work_order_id: str
    seq: int
    name: str
    work_center_ids: tuple[str, ...]
    work_center_id: str
    status: OperationStatus = OperationStatus.PENDING
    equipment_id: str | None = None
    operator_id: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    qty_good: int = 0
    qty_scrap: int = 0
    pause_reason: str | None = None
    paused_by_downtime: bool = False


class WorkOrder(Aggregate):
    kind = "work_order"

    def __init__(
        self,
        *,
        id: str,
        material_id: str,
        qty: int,
        due_at: datetime,
        priority: int,
        operations: list[Operation],
        status: WorkOrderStatus = WorkOrderStatus.CREATED,
        held: bool = False,
        parent_work_order_id: str | None = None,
        sales_order_id: str | None = None,
        customer: str | None = None,
        created_at: datetime | None = None,
        released_at: datetime | None = None,
        started_at: datetime | None = None,
        completed_at: datetime | None = None,
        qty_good: int = 0,
        qty_scrap: int = 0,
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.material_id = material_id
        self.qty = qty
        self.due_at = due_at
        self.priority = priority
        self.operations = operations
        self.status = status
        self.held = held
        self.parent_work_order_id = parent_work_order_id
        self.sales_order_id = sales_order_id
        self.customer = customer
        self.created_at = created_at
        self.released_at = released_at
        self.started_at = started_at
        self.completed_at = completed_at
        self.qty_good = qty_good
        self.qty_scrap = qty_scrap
        self._init_aggregate(event_seq)

    # ---- creation ------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        *,
        id: str,
        material_id: str,
        qty: int,
        due_at: datetime,
        priority: int,
        routing: list[RoutingOperation],
        at: datetime,
        parent_work_order_id: str | None = None,
        sales_order_id: str | None = None,
        customer: str | None = None,
    ) -> WorkOrder:
        ops = [
            Operation(
                id=operation_id(id, r.seq),
                work_order_id=id,
                seq=r.seq,
                name=r.name,
                work_center_ids=tuple(r.work_center_ids),
                work_center_id=r.work_center_ids[0],
            )
            for r in routing
        ]
        wo = cls(
            id=id,
            material_id=material_id,
            qty=qty,
            due_at=due_at,
            priority=priority,
            operations=ops,
            parent_work_order_id=parent_work_order_id,
            sales_order_id=sales_order_id,
            customer=customer,
            created_at=at,
        )
        wo._record(
            ev.WorkOrderCreated(
                at=at,
                work_order_id=id,
                material_id=material_id,
                qty=qty,
                due_at=due_at,
                priority=priority,
                parent_work_order_id=parent_work_order_id,
                sales_order_id=sales_order_id,
                customer=customer,
                operation_ids=[op.id for op in ops],
            )
        )
        return wo

    # ---- lookups -------------------------------------------------------------------------------
    @property
    def lot_id(self) -> str:
        return lot_of(self.id)

    @property
    def is_open(self) -> bool:
        return self.status not in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED)

    def operation(self, op_id: str) -> Operation:
        for op in self.operations:
            if op.id == op_id:
                return op
        raise UnknownOperation(op_id)

    def _deny(self, action: str) -> InvalidTransition:
        return InvalidTransition("work order", self.id, self.status.value, action)

    def _op_deny(self, op: Operation, action: str) -> InvalidTransition:
        return InvalidTransition("operation", op.id, op.status.value, action)

    # ---- work order lifecycle ------------------------------------------------------------------
    def release(self, at: datetime) -> None:
        if self.status is not WorkOrderStatus.CREATED:
            raise self._deny("release")
        self.status = WorkOrderStatus.RELEASED
        self.released_at = at
        if self.operations:
            self.operations[0].status = OperationStatus.READY
        self._record(
            ev.WorkOrderReleased(
                at=at, work_order_id=self.id, material_id=self.material_id, qty=self.qty, due_at=self.due_at
            )
        )

    def change(self, *, at: datetime, qty: int | None, due_at: datetime | None, priority: int | None) -> None:
        if not self.is_open:
            raise self._deny("change")
        if qty is not None and self.status is WorkOrderStatus.IN_PROGRESS and qty != self.qty:
            raise self._deny("change the quantity of a started order")
        self.qty = qty if qty is not None else self.qty
        self.due_at = due_at if due_at is not None else self.due_at
        self.priority = priority if priority is not None else self.priority
        self._record(
            ev.WorkOrderChanged(
                at=at, work_order_id=self.id, qty=self.qty, due_at=self.due_at, priority=self.priority
            )
        )

    def cancel(self, at: datetime, reason: str) -> None:
        if not self.is_open:
            raise self._deny("cancel")
        running = [op.id for op in self.operations if op.status in ACTIVE]
        if running:
            raise self._deny(f"cancel while operations {running} are running")
        self.status = WorkOrderStatus.CANCELLED
        for op in self.operations:
            if op.status in NOT_STARTED:
                op.status = OperationStatus.CANCELLED
                self._record(
                    ev.OperationCancelled(
                        at=at, operation_id=op.id, work_order_id=self.id, work_center_id=op.work_center_id
                    )
                )
        self._record(ev.WorkOrderCancelled(at=at, work_order_id=self.id, reason=reason))

    def hold(self, at: datetime, lot_id: str, reason: str) -> None:
        if self.held or not self.is_open:
            return
        self.held = True
        self._record(ev.WorkOrderHeld(at=at, work_order_id=self.id, lot_id=lot_id, reason=reason))

    def unhold(self, at: datetime, lot_id: str) -> None:
        if not self.held:
            return
        self.held = False
        self._record(ev.WorkOrderUnheld(at=at, work_order_id=self.id, lot_id=lot_id))

    # ---- dispatch ------------------------------------------------------------------------------
    def assign(self, op_id: str, work_center_id: str) -> Operation:
        """Move a not-yet-started operation to another of its alternative work centers."""
        op = self.operation(op_id)
        if work_center_id not in op.work_center_ids:
            raise WrongWorkCenter(op.id, work_center_id, list(op.work_center_ids))
        if op.status in NOT_STARTED:
            op.work_center_id = work_center_id
        return op

    # ---- operation execution -------------------------------------------------------------------
    def start_operation(
        self, op_id: str, *, equipment_id: str, work_center_id: str, operator_id: str | None, at: datetime
    ) -> tuple[Operation, bool]:
        """Start ``op_id`` on ``equipment_id``; returns the operation and whether the order starts now."""
        op = self.operation(op_id)
        if self.status not in (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS):
            raise OperationNotReady(op.id, f"work order {self.id!r} is {self.status.value}")
        if self.held:
            raise OperationNotReady(op.id, f"work order {self.id!r} is held")
        if op.status is not OperationStatus.READY:
            if op.status is OperationStatus.PENDING:
                raise OperationNotReady(op.id, "the previous operation is not complete")
            raise self._op_deny(op, "start")
        if work_center_id not in op.work_center_ids:
            raise WrongWorkCenter(op.id, work_center_id, list(op.work_center_ids))
        first = self.status is WorkOrderStatus.RELEASED
        op.status = OperationStatus.RUNNING
        op.work_center_id = work_center_id
        op.equipment_id = equipment_id
        op.operator_id = operator_id
        op.started_at = at
        if first:
            self.status = WorkOrderStatus.IN_PROGRESS
            self.started_at = at
            self._record(ev.WorkOrderStarted(at=at, work_order_id=self.id, material_id=self.material_id))
        self._record(
            ev.OperationStarted(
                at=at,
                operation_id=op.id,
                work_order_id=self.id,
                material_id=self.material_id,
                seq=op.seq,
                work_center_id=work_center_id,
                equipment_id=equipment_id,
                operator_id=operator_id,
                lot_id=self.lot_id,
            )
        )
        return op, first

    def pause_operation(
        self, op_id: str, *, reason_code: str, at: datetime, by_downtime: bool = False
    ) -> Operation:
        op = self.operation(op_id)
        if op.status is not OperationStatus.RUNNING:
            raise self._op_deny(op, "pause")
        op.status = OperationStatus.PAUSED
        op.pause_reason = reason_code
        op.paused_by_downtime = by_downtime
        self._record(
            ev.OperationPaused(
                at=at,
                operation_id=op.id,
                work_order_id=self.id,
                equipment_id=op.equipment_id,
                reason_code=reason_code,
            )
        )
        return op

    def resume_operation(self, op_id: str, *, at: datetime) -> Operation:
        op = self.operation(op_id)
        if op.status is not OperationStatus.PAUSED:
            raise self._op_deny(op, "resume")
        op.status = OperationStatus.RUNNING
        op.pause_reason = None
        op.paused_by_downtime = False
        self._record(
            ev.OperationResumed(
                at=at, operation_id=op.id, work_order_id=self.id, equipment_id=op.equipment_id
            )
        )
        return op

    def complete_operation(
        self,
        op_id: str,
        *,
        qty_good: int,
        qty_scrap: int,
        scrap_defect_code: str | None,
        parameters: dict[str, float],
        at: datetime,
    ) -> tuple[Operation, bool]:
        """Complete ``op_id`` (running or paused). Returns the operation and whether the order completed."""
        op = self.operation(op_id)
        if op.status not in ACTIVE:
            raise self._op_deny(op, "complete")
        op.status = OperationStatus.COMPLETED
        op.completed_at = at
        op.qty_good = qty_good
        op.qty_scrap = qty_scrap
        op.pause_reason = None
        op.paused_by_downtime = False
        duration_s = (at - op.started_at).total_seconds() if op.started_at else 0.0
        self._record(
            ev.OperationCompleted(
                at=at,
                operation_id=op.id,
                work_order_id=self.id,
                material_id=self.material_id,
                seq=op.seq,
                work_center_id=op.work_center_id,
                equipment_id=op.equipment_id,
                operator_id=op.operator_id,
                qty_good=qty_good,
                qty_scrap=qty_scrap,
                scrap_defect_code=scrap_defect_code,
                parameters=dict(parameters),
                started_at=op.started_at,
                duration_s=max(duration_s, 0.0),
                lot_id=self.lot_id,
            )
        )
        index = self.operations.index(op)
        if index + 1 < len(self.operations):
            nxt = self.operations[index + 1]
            if nxt.status is OperationStatus.PENDING:
                nxt.status = OperationStatus.READY
            return op, False
        self.status = WorkOrderStatus.COMPLETED
        self.completed_at = at
        self.qty_good = qty_good
        self.qty_scrap = sum(o.qty_scrap for o in self.operations)
        self._record(
            ev.WorkOrderCompleted(
                at=at,
                work_order_id=self.id,
                material_id=self.material_id,
                qty=self.qty,
                qty_good=self.qty_good,
                qty_scrap=self.qty_scrap,
                completed_at=at,
                due_at=self.due_at,
                lot_id=self.lot_id,
            )
        )
        return op, True
