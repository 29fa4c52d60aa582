"""Dispatch list routes: what a work center runs next, and publishing a schedule version."""

from __future__ import annotations

from fastapi import APIRouter

from plantloop.api.deps import BusDep, CurrentUser, QueriesDep, require
from plantloop.api.schemas.dispatch import (
    DispatchItemOut,
    DispatchListOut,
    PublishDispatchListsIn,
    PublishedOut,
)
from plantloop.mes.domain import commands as c

router = APIRouter(prefix="/dispatch", tags=["dispatch"])


@router.get("/{work_center_id}", dependencies=[require("read")])
def get_dispatch_list(work_center_id: str, queries: QueriesDep, ready_only: bool = False) -> DispatchListOut:
    """The ordered dispatch list of a work center (published entries first, then the rest FIFO)."""
    items = queries.dispatch_list(work_center_id, ready_only=ready_only)
    return DispatchListOut(
        work_center_id=work_center_id,
        schedule_version=queries.schedule_version(work_center_id),
        items=[DispatchItemOut.model_validate(i) for i in items],
    )


@router.post("", dependencies=[require("plan")])
def publish_dispatch_lists(body: PublishDispatchListsIn, bus: BusDep, user: CurrentUser) -> PublishedOut:
    """Publish a schedule version: replaces the lists of the work centers it names (idempotent)."""
    changed = bus.handle(c.PublishDispatchLists(**body.model_dump(), issued_by=user.username))
    return PublishedOut(schedule_version=body.schedule_version, work_center_ids=changed)
