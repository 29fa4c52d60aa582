"""Work order routes: list, read, create (with BOM explosion), release, change, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Query

from plantloop.api.deps import BusDep, ContainerDep, CurrentUser, QueriesDep, require
from plantloop.api.limits import MAX_BIGINT
from plantloop.api.schemas.execution import (
    ChangeWorkOrderIn,
    CreatedWorkOrderOut,
    CreateWorkOrderIn,
    IdsOut,
    ReasonIn,
    WorkOrderOut,
)
from plantloop.kernel.errors import InvalidInput
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import UnknownWorkOrder
from plantloop.mes.domain.sub_lots import lots_of
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.optimize.scheduling.lotsize import split_quantities

router = APIRouter(prefix="/work-orders", tags=["work orders"])


@router.get("", dependencies=[require("read")])
def list_work_orders(
    queries: QueriesDep,
    status: WorkOrderStatus | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=MAX_BIGINT),
) -> list[WorkOrderOut]:
    """List work orders, oldest first, optionally by status."""
    return [
        WorkOrderOut.model_validate(wo)
        for wo in queries.work_orders(status=status, limit=limit, offset=offset)
    ]


@router.get("/{work_order_id}", dependencies=[require("read")])
def get_work_order(work_order_id: str, queries: QueriesDep) -> WorkOrderOut:
    """One work order with its operations."""
    wo = queries.work_order(work_order_id)
    if wo is None:
        raise UnknownWorkOrder(work_order_id)
    return WorkOrderOut.model_validate(wo)


@router.post("", status_code=201, dependencies=[require("orders")])
def create_work_order(
    body: CreateWorkOrderIn, bus: BusDep, user: CurrentUser, container: ContainerDep
) -> CreatedWorkOrderOut:
    """Create a work order and its child orders (BOM explosion); returns their ids, parent first.

    With ``lot_qtys`` or ``split`` the order is created as sub-lots (``<work_order_id>.1``, ``.2``, …) that
    flow through the routing on their own, in one transaction; ``lots`` lists them."""
    fields = body.model_dump(exclude={"split", "lot_qtys"})
    lot_qtys = body.lot_qtys
    if body.split:
        if lot_qtys is not None:
            raise InvalidInput("give lot_qtys or split, not both", field="split")
        settings = container.settings
        lot_qtys = split_quantities(body.qty, max_lots=settings.lot_max_lots, min_lot=settings.lot_min_qty)
    ids = bus.handle(c.CreateWorkOrder(**fields, lot_qtys=lot_qtys, issued_by=user.username))
    lots = [wo_id for wo_id, _ in lots_of(body.work_order_id, body.qty, lot_qtys)]
    return CreatedWorkOrderOut(ids=ids, lots=lots)


@router.post("/{work_order_id}/release", dependencies=[require("orders")])
def release_work_order(work_order_id: str, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Release a work order and its children to the shop floor."""
    return IdsOut(ids=bus.handle(c.ReleaseWorkOrder(work_order_id=work_order_id, issued_by=user.username)))


@router.patch("/{work_order_id}", dependencies=[require("orders")])
def change_work_order(work_order_id: str, body: ChangeWorkOrderIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Change quantity, due date or priority of an open work order."""
    bus.handle(c.ChangeWorkOrder(work_order_id=work_order_id, **body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[work_order_id])


@router.post("/{work_order_id}/cancel", dependencies=[require("orders")])
def cancel_work_order(work_order_id: str, body: ReasonIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Cancel a work order (and its children that have not started)."""
    cmd = c.CancelWorkOrder(
        work_order_id=work_order_id, reason=body.reason, at=body.at, issued_by=user.username
    )
    return IdsOut(ids=bus.handle(cmd))
