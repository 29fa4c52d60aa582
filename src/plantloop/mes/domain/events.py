"""MES events: past-tense facts recorded by the aggregates. The message bus wraps each one in a kernel
:class:`~plantloop.kernel.envelope.EventEnvelope` (type = class name) and writes it to the outbox in the
same transaction as the state change.

Every event names its ``subject`` (the main entity id) and, where it has one, the ``location`` (equipment
or work center id) from which the bus derives the ISA-95 equipment path. ``at`` becomes ``occurred_at``;
all other fields form the payload.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    subject_field: ClassVar[str] = ""
    location_field: ClassVar[str | None] = None

    at: datetime

    @property
    def subject(self) -> str:
        return str(getattr(self, self.subject_field))

    @property
    def location(self) -> str | None:
        if self.location_field is None:
            return None
        value = getattr(self, self.location_field)
        return None if value is None else str(value)

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "at":
                continue
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


# ---- work orders -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderCreated(Event):
    subject_field = "work_order_id"
    work_order_id: str
    material_id: str
    qty: int
    due_at: datetime
    priority: int
    parent_work_order_id: str | None
    sales_order_id: str | None
    customer: str | None
    operation_ids: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderReleased(Event):
    subject_field = "work_order_id"
    work_order_id: str
    material_id: str
    qty: int
    due_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderChanged(Event):
    subject_field = "work_order_id"
    work_order_id: str
    qty: int
    due_at: datetime
    priority: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderStarted(Event):
    subject_field = "work_order_id"
    work_order_id: str
    material_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderHeld(Event):
    subject_field = "work_order_id"
    work_order_id: str
    lot_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderUnheld(Event):
    subject_field = "work_order_id"
    work_order_id: str
    lot_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderCancelled(Event):
    subject_field = "work_order_id"
    work_order_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderCompleted(Event):
    subject_field = "work_order_id"
    work_order_id: str
    material_id: str
    qty: int
    qty_good: int
    qty_scrap: int
    completed_at: datetime
    due_at: datetime
    lot_id: str


# ---- operations ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class OperationStarted(Event):
    subject_field, location_field = "operation_id", "equipment_id"
    operation_id: str
    work_order_id: str
    material_id: str
    seq: int
    work_center_id: str
    equipment_id: str
    operator_id: str | None
    lot_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationPaused(Event):
    subject_field, location_field = "operation_id", "equipment_id"
    operation_id: str
    work_order_id: str
    equipment_id: str | None
    reason_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationResumed(Event):
    subject_field, location_field = "operation_id", "equipment_id"
    operation_id: str
    work_order_id: str
    equipment_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationCompleted(Event):
    subject_field, location_field = "operation_id", "equipment_id"
    operation_id: str
    work_order_id: str
    material_id: str
    seq: int
    work_center_id: str
    equipment_id: str | None
    operator_id: str | None
    qty_good: int
    qty_scrap: int
    scrap_defect_code: str | None
    parameters: dict[str, float]
    started_at: datetime | None
    duration_s: float
    lot_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationCancelled(Event):
    subject_field, location_field = "operation_id", "work_center_id"
    operation_id: str
    work_order_id: str
    work_center_id: str


# ---- dispatch --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchListPublished(Event):
    subject_field, location_field = "work_center_id", "work_center_id"
    work_center_id: str
    schedule_version: str
    operation_ids: list[str]
    decision_id: str | None


# ---- lots ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialLotReceived(Event):
    subject_field = "lot_id"
    lot_id: str
    material_id: str
    supplier_id: str
    qty: float
    supplier_lot_ref: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LotCreated(Event):
    subject_field = "lot_id"
    lot_id: str
    material_id: str
    work_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LotCompleted(Event):
    subject_field = "lot_id"
    lot_id: str
    material_id: str
    work_order_id: str
    qty: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialConsumed(Event):
    subject_field, location_field = "lot_id", "equipment_id"
    lot_id: str
    material_id: str
    qty: float
    qty_left: float
    produced_lot_id: str
    operation_id: str
    equipment_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LotHeld(Event):
    subject_field = "lot_id"
    lot_id: str
    reason: str
    decision_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LotReleased(Event):
    subject_field = "lot_id"
    lot_id: str
    reason: str


# ---- equipment -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class EquipmentStateChanged(Event):
    subject_field, location_field = "equipment_id", "equipment_id"
    equipment_id: str
    from_state: str
    to_state: str
    operation_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DowntimeStarted(Event):
    subject_field, location_field = "equipment_id", "equipment_id"
    equipment_id: str
    reason_code: str
    planned: bool
    operation_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DowntimeEnded(Event):
    subject_field, location_field = "equipment_id", "equipment_id"
    equipment_id: str
    reason_code: str
    planned: bool
    started_at: datetime
    duration_s: float


# ---- quality ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class InspectionRecorded(Event):
    subject_field, location_field = "inspection_id", "equipment_id"
    inspection_id: str
    operation_id: str
    work_order_id: str
    lot_id: str
    material_id: str
    equipment_id: str | None
    result: str
    qty_inspected: int
    qty_defective: int
    defect_code: str | None
    measurements: dict[str, float]
    inspector_id: str | None


# ---- maintenance -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceOrderCreated(Event):
    subject_field, location_field = "maintenance_order_id", "equipment_id"
    maintenance_order_id: str
    equipment_id: str
    kind: str
    reason: str
    planned_start_at: datetime | None
    planned_duration_s: float
    decision_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceStarted(Event):
    subject_field, location_field = "maintenance_order_id", "equipment_id"
    maintenance_order_id: str
    equipment_id: str
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceCompleted(Event):
    subject_field, location_field = "maintenance_order_id", "equipment_id"
    maintenance_order_id: str
    equipment_id: str
    kind: str
    started_at: datetime | None
    duration_s: float
    notes: str
