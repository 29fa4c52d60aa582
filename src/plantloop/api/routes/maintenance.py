"""Maintenance order routes: list, create, start, complete."""

from __future__ import annotations

from fastapi import APIRouter

from plantloop.api.deps import BusDep, CurrentUser, QueriesDep, require
from plantloop.api.schemas.execution import (
    CompleteMaintenanceIn,
    CreateMaintenanceOrderIn,
    IdsOut,
    MaintenanceOrderOut,
    _In,
)
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import UnknownMaintenanceOrder

router = APIRouter(prefix="/maintenance-orders", tags=["maintenance"])


@router.get("", dependencies=[require("read")])
def list_maintenance_orders(
    queries: QueriesDep, equipment_id: str | None = None
) -> list[MaintenanceOrderOut]:
    """Maintenance orders, optionally of one piece of equipment."""
    return [
        MaintenanceOrderOut.model_validate(m) for m in queries.maintenance_orders(equipment_id=equipment_id)
    ]


@router.get("/{maintenance_order_id}", dependencies=[require("read")])
def get_maintenance_order(maintenance_order_id: str, queries: QueriesDep) -> MaintenanceOrderOut:
    """One maintenance order."""
    mo = queries.maintenance_order(maintenance_order_id)
    if mo is None:
        raise UnknownMaintenanceOrder(maintenance_order_id)
    return MaintenanceOrderOut.model_validate(mo)


@router.post("", status_code=201, dependencies=[require("maintenance")])
def create_maintenance_order(body: CreateMaintenanceOrderIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Plan a maintenance order on a piece of equipment."""
    bus.handle(c.CreateMaintenanceOrder(**body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[body.maintenance_order_id])


@router.post("/{maintenance_order_id}/start", dependencies=[require("maintenance")])
def start_maintenance(maintenance_order_id: str, body: _In, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Start maintenance: the equipment goes to MAINTENANCE."""
    bus.handle(
        c.StartMaintenance(maintenance_order_id=maintenance_order_id, at=body.at, issued_by=user.username)
    )
    return IdsOut(ids=[maintenance_order_id])


@router.post("/{maintenance_order_id}/complete", dependencies=[require("maintenance")])
def complete_maintenance(
    maintenance_order_id: str, body: CompleteMaintenanceIn, bus: BusDep, user: CurrentUser
) -> IdsOut:
    """Complete maintenance: the equipment is available again."""
    cmd = c.CompleteMaintenance(
        maintenance_order_id=maintenance_order_id, notes=body.notes, at=body.at, issued_by=user.username
    )
    bus.handle(cmd)
    return IdsOut(ids=[maintenance_order_id])
