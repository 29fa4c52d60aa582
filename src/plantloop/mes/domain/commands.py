"""Commands: what may be asked of the MES. Imperative names; each is handled by exactly one handler.

Every command may carry ``at`` — when it happened on the shop floor. The simulator and connectors replaying
history set it; live callers leave it ``None`` and the MES uses its clock. ``issued_by`` is the user or
system that asked (audited).

This module is the contract between the MES and everyone who drives it (API, operator UI, simulator,
``loop/``). Add commands here; never change the meaning of an existing field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plantloop.kernel.clock import PlantTime
from plantloop.mes.domain.sub_lots import MAX_SUB_LOTS


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: PlantTime | None = None
    issued_by: str = "system"


# ---- work orders -----------------------------------------------------------------------------------
class CreateWorkOrder(Command):
    """From a sales order / the ERP feed. Intermediates in the product's BOM that have a routing get child
    work orders (``parent_work_order_id`` set) due before the parent."""

    work_order_id: str = Field(min_length=1, max_length=64)
    material_id: str
    qty: int = Field(gt=0, le=1_000_000)
    due_at: PlantTime
    sales_order_id: str | None = None
    customer: str | None = None
    priority: int = Field(default=5, ge=1, le=9, description="1 is most urgent.")
    parent_work_order_id: str | None = None
    lot_qtys: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SUB_LOTS,
        description=(
            "Create the order as sub-lots that flow on their own: work orders "
            "'<work_order_id>.1', '.2', … with these quantities (they must add up to qty), each with "
            "the order's due date, priority and sales order, and its own component orders. All or none "
            "are created. One quantity (or none) creates the order as one work order."
        ),
    )

    @model_validator(mode="after")
    def _lots_make_up_the_order(self) -> CreateWorkOrder:
        if self.lot_qtys is not None:
            if min(self.lot_qtys) <= 0:
                raise ValueError(f"lot_qtys must all be positive, got {self.lot_qtys}")
            if sum(self.lot_qtys) != self.qty:
                raise ValueError(
                    f"lot_qtys {self.lot_qtys} add up to {sum(self.lot_qtys)}, "
                    f"not to the order's qty {self.qty}"
                )
            if len(self.lot_qtys) > 1 and self.parent_work_order_id is not None:
                raise ValueError("a child work order cannot be split into sub-lots")
        return self


class ReleaseWorkOrder(Command):
    work_order_id: str


class CancelWorkOrder(Command):
    work_order_id: str
    reason: str = ""


class ChangeWorkOrder(Command):
    work_order_id: str
    qty: int | None = Field(default=None, gt=0, le=1_000_000)
    due_at: PlantTime | None = None
    priority: int | None = Field(default=None, ge=1, le=9)


# ---- dispatch lists --------------------------------------------------------------------------------
class DispatchEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    operation_id: str
    work_center_id: str
    equipment_id: str | None = None
    position: int = Field(ge=0)
    planned_start_at: PlantTime | None = None
    planned_end_at: PlantTime | None = None


class PublishDispatchLists(Command):
    """Replace the dispatch lists of the work centers named in ``entries`` with a new schedule version.
    Idempotent: publishing the same ``schedule_version`` twice changes nothing the second time."""

    schedule_version: str = Field(min_length=1, max_length=64)
    entries: list[DispatchEntry]
    decision_id: str | None = None


# ---- operation execution ---------------------------------------------------------------------------
class StartOperation(Command):
    operation_id: str
    equipment_id: str
    operator_id: str | None = None


class PauseOperation(Command):
    operation_id: str
    reason_code: str


class ResumeOperation(Command):
    operation_id: str


class CompleteOperation(Command):
    operation_id: str
    qty_good: int = Field(ge=0)
    qty_scrap: int = Field(default=0, ge=0)
    scrap_defect_code: str | None = None
    parameters: dict[str, float] = Field(
        default_factory=dict, description="Process parameters, mean over the run."
    )


# ---- equipment -------------------------------------------------------------------------------------
class EquipmentState(StrEnum):
    """PackML-style states, reduced to those a plant reports."""

    IDLE = "idle"
    STARTING = "starting"
    EXECUTE = "execute"
    HELD = "held"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    ABORTED = "aborted"
    MAINTENANCE = "maintenance"


class StartDowntime(Command):
    equipment_id: str
    reason_code: str


class EndDowntime(Command):
    equipment_id: str


class ChangeEquipmentState(Command):
    equipment_id: str
    state: EquipmentState


# ---- material and lots -----------------------------------------------------------------------------
class ReceiveMaterialLot(Command):
    lot_id: str = Field(min_length=1, max_length=64)
    material_id: str
    supplier_id: str
    qty: float = Field(gt=0)
    supplier_lot_ref: str | None = None


class ConsumeMaterial(Command):
    """Genealogy: ``qty`` of component lot ``lot_id`` went into the lot produced by ``operation_id``."""

    operation_id: str
    lot_id: str
    qty: float = Field(gt=0)


class HoldLot(Command):
    lot_id: str
    reason: str
    decision_id: str | None = None


class ReleaseLot(Command):
    lot_id: str
    reason: str = ""


# ---- quality ---------------------------------------------------------------------------------------
class InspectionResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class RecordInspection(Command):
    inspection_id: str = Field(min_length=1, max_length=64)
    operation_id: str
    result: InspectionResult
    qty_inspected: int = Field(ge=1)
    qty_defective: int = Field(default=0, ge=0)
    defect_code: str | None = None
    measurements: dict[str, float] = Field(default_factory=dict)
    inspector_id: str | None = None


# ---- maintenance -----------------------------------------------------------------------------------
class MaintenanceKind(StrEnum):
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    PREDICTIVE = "predictive"


class CreateMaintenanceOrder(Command):
    maintenance_order_id: str = Field(min_length=1, max_length=64)
    equipment_id: str
    kind: MaintenanceKind
    reason: str = ""
    planned_start_at: PlantTime | None = None
    planned_duration_s: float = Field(default=3600, gt=0)
    decision_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class StartMaintenance(Command):
    maintenance_order_id: str


class CompleteMaintenance(Command):
    maintenance_order_id: str
    notes: str = ""
