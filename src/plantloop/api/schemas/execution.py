"""API schemas for execution: work orders, operations, equipment, maintenance orders, inspections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plantloop.mes.domain.commands import EquipmentState, InspectionResult, MaintenanceKind
from plantloop.mes.domain.sub_lots import MAX_SUB_LOTS


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(default=None, description="When it happened (UTC); default now.")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- work orders -----------------------------------------------------------------------------------
class OperationOut(_Out):
    id: str
    work_order_id: str
    seq: int
    name: str
    work_center_ids: list[str]
    work_center_id: str
    status: str
    equipment_id: str | None
    operator_id: str | None
    started_at: datetime | None
    completed_at: datetime | None
    qty_good: int
    qty_scrap: int
    pause_reason: str | None


class WorkOrderOut(_Out):
    id: str
    material_id: str
    qty: int
    due_at: datetime
    priority: int
    status: str
    held: bool
    parent_work_order_id: str | None
    sales_order_id: str | None
    customer: str | None
    created_at: datetime | None
    released_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    qty_good: int
    qty_scrap: int
    lot_id: str
    operations: list[OperationOut]


class CreateWorkOrderIn(_In):
    work_order_id: str = Field(min_length=1, max_length=64)
    material_id: str
    qty: int = Field(gt=0, le=1_000_000)
    due_at: datetime
    sales_order_id: str | None = None
    customer: str | None = None
    priority: int = Field(default=5, ge=1, le=9)
    lot_qtys: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SUB_LOTS,
        description="Create the order as sub-lots '<work_order_id>.1', '.2', … of these quantities "
        "(adding up to qty); all or none are created.",
    )
    split: bool = Field(
        default=False,
        description="Create the order as sub-lots sized by the plant's lot-sizing rule "
        "(settings lot_max_lots, lot_min_qty); not together with lot_qtys.",
    )


class CreatedWorkOrderOut(BaseModel):
    #: every work order created, each sub-lot's own first and its component orders after it
    ids: list[str]
    #: the top-level work orders the order became: itself, or its sub-lots in order
    lots: list[str]


class ChangeWorkOrderIn(_In):
    qty: int | None = Field(default=None, gt=0, le=1_000_000)
    due_at: datetime | None = None
    priority: int | None = Field(default=None, ge=1, le=9)


class ReasonIn(_In):
    reason: str = ""


class IdsOut(BaseModel):
    ids: list[str]


# ---- operator actions ------------------------------------------------------------------------------
class StartOperationIn(_In):
    equipment_id: str
    operator_id: str | None = None


class PauseOperationIn(_In):
    reason_code: str = Field(min_length=1)


class CompleteOperationIn(_In):
    qty_good: int = Field(ge=0)
    qty_scrap: int = Field(default=0, ge=0)
    scrap_defect_code: str | None = None
    parameters: dict[str, float] = Field(default_factory=dict)


class ConsumeMaterialIn(_In):
    lot_id: str
    qty: float = Field(gt=0)


class RecordInspectionIn(_In):
    inspection_id: str = Field(min_length=1, max_length=64)
    result: InspectionResult
    qty_inspected: int = Field(ge=1)
    qty_defective: int = Field(default=0, ge=0)
    defect_code: str | None = None
    measurements: dict[str, float] = Field(default_factory=dict)
    inspector_id: str | None = None


class InspectionOut(_Out):
    id: str
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
    recorded_at: datetime


# ---- equipment and maintenance ---------------------------------------------------------------------
class EquipmentOut(_Out):
    id: str
    work_center_id: str
    state: str
    state_since: datetime | None
    current_operation_id: str | None
    downtime_reason_code: str | None
    downtime_started_at: datetime | None
    maintenance_order_id: str | None


class StartDowntimeIn(_In):
    reason_code: str = Field(min_length=1)


class ChangeEquipmentStateIn(_In):
    state: EquipmentState


class CreateMaintenanceOrderIn(_In):
    maintenance_order_id: str = Field(min_length=1, max_length=64)
    equipment_id: str
    kind: MaintenanceKind
    reason: str = ""
    planned_start_at: datetime | None = None
    planned_duration_s: float = Field(default=3600, gt=0)
    details: dict[str, Any] = Field(default_factory=dict)


class CompleteMaintenanceIn(_In):
    notes: str = ""


class MaintenanceOrderOut(_Out):
    id: str
    equipment_id: str
    maintenance_kind: str
    status: str
    reason: str
    planned_start_at: datetime | None
    planned_duration_s: float
    decision_id: str | None
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    notes: str
