"""Operator actions: start / pause / resume / complete operations, consume material, inspections,
equipment states and downtime."""

from __future__ import annotations

from fastapi import APIRouter

from plantloop.api.deps import BusDep, CurrentUser, QueriesDep, require
from plantloop.api.schemas.execution import (
    ChangeEquipmentStateIn,
    CompleteOperationIn,
    ConsumeMaterialIn,
    EquipmentOut,
    IdsOut,
    InspectionOut,
    OperationOut,
    PauseOperationIn,
    RecordInspectionIn,
    StartDowntimeIn,
    StartOperationIn,
    _In,
)
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import UnknownEquipment, UnknownOperation

router = APIRouter(tags=["operations"])


@router.get("/operations/{operation_id:path}", dependencies=[require("read")])
def get_operation(operation_id: str, queries: QueriesDep) -> OperationOut:
    """One operation and its state."""
    wo = queries.operation_work_order(operation_id)
    op = next((o for o in wo.operations if o.id == operation_id), None) if wo else None
    if op is None:
        raise UnknownOperation(operation_id)
    return OperationOut.model_validate(op)


@router.post("/operations/{operation_id:path}/start", dependencies=[require("execute")])
def start_operation(operation_id: str, body: StartOperationIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Start a ready operation on a piece of equipment."""
    bus.handle(c.StartOperation(operation_id=operation_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[operation_id])


@router.post("/operations/{operation_id:path}/pause", dependencies=[require("execute")])
def pause_operation(operation_id: str, body: PauseOperationIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Pause a running operation with a reason code."""
    bus.handle(c.PauseOperation(operation_id=operation_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[operation_id])


@router.post("/operations/{operation_id:path}/resume", dependencies=[require("execute")])
def resume_operation(operation_id: str, body: _In, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Resume a paused operation."""
    bus.handle(c.ResumeOperation(operation_id=operation_id, at=body.at, issued_by=user.username))
    return IdsOut(ids=[operation_id])


@router.post("/operations/{operation_id:path}/complete", dependencies=[require("execute")])
def complete_operation(
    operation_id: str, body: CompleteOperationIn, bus: BusDep, user: CurrentUser
) -> IdsOut:
    """Complete an operation, reporting good and scrap quantities and process parameters."""
    bus.handle(c.CompleteOperation(operation_id=operation_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[operation_id])


@router.post("/operations/{operation_id:path}/consume", dependencies=[require("execute")])
def consume_material(operation_id: str, body: ConsumeMaterialIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Record that a quantity of a component lot went into this operation's lot (genealogy)."""
    bus.handle(c.ConsumeMaterial(operation_id=operation_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[body.lot_id])


@router.post(
    "/operations/{operation_id:path}/inspections", status_code=201, dependencies=[require("quality")]
)
def record_inspection(operation_id: str, body: RecordInspectionIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Record a quality inspection of this operation's output."""
    bus.handle(c.RecordInspection(operation_id=operation_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[body.inspection_id])


@router.get("/inspections", dependencies=[require("read")])
def list_inspections(queries: QueriesDep, work_order_id: str | None = None) -> list[InspectionOut]:
    """Inspections, optionally of one work order."""
    return [InspectionOut.model_validate(i) for i in queries.inspections(work_order_id=work_order_id)]


# ---- equipment -------------------------------------------------------------------------------------
@router.get("/equipment", dependencies=[require("read")])
def list_equipment(queries: QueriesDep) -> list[EquipmentOut]:
    """Every piece of equipment with its current PackML state."""
    return [EquipmentOut.model_validate(e) for e in queries.equipment_states()]


@router.get("/equipment/{equipment_id}", dependencies=[require("read")])
def get_equipment(equipment_id: str, queries: QueriesDep) -> EquipmentOut:
    """One piece of equipment and its state."""
    eq = queries.equipment(equipment_id)
    if eq is None:
        raise UnknownEquipment(equipment_id)
    return EquipmentOut.model_validate(eq)


@router.post("/equipment/{equipment_id}/downtime/start", dependencies=[require("execute")])
def start_downtime(equipment_id: str, body: StartDowntimeIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Report that equipment went down, with a downtime reason code from master data."""
    bus.handle(c.StartDowntime(equipment_id=equipment_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[equipment_id])


@router.post("/equipment/{equipment_id}/downtime/end", dependencies=[require("execute")])
def end_downtime(equipment_id: str, body: _In, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Report that equipment is back up (a paused operation resumes)."""
    bus.handle(c.EndDowntime(equipment_id=equipment_id, at=body.at, issued_by=user.username))
    return IdsOut(ids=[equipment_id])


@router.post("/equipment/{equipment_id}/state", dependencies=[require("execute")])
def change_equipment_state(
    equipment_id: str, body: ChangeEquipmentStateIn, bus: BusDep, user: CurrentUser
) -> IdsOut:
    """Move equipment to another PackML state (only transitions in the state table are allowed)."""
    bus.handle(
        c.ChangeEquipmentState(equipment_id=equipment_id, **body.model_dump(), issued_by=user.username)
    )
    return IdsOut(ids=[equipment_id])
