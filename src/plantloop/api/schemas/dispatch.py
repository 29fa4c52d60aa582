"""API schemas for dispatch lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from plantloop.mes.domain.commands import DispatchEntry


class DispatchItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    operation_id: str
    work_center_id: str
    position: int
    work_order_id: str
    material_id: str
    qty: int
    seq: int
    status: str
    priority: int
    due_at: datetime
    equipment_id: str | None
    planned_start_at: datetime | None
    planned_end_at: datetime | None
    schedule_version: str | None
    published: bool


class DispatchListOut(BaseModel):
    work_center_id: str
    schedule_version: str | None
    items: list[DispatchItemOut]


class PublishDispatchListsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule_version: str = Field(min_length=1, max_length=64)
    entries: list[DispatchEntry]
    decision_id: str | None = None
    at: datetime | None = None


class PublishedOut(BaseModel):
    schedule_version: str
    work_center_ids: list[str] = Field(
        description="Work centers whose list changed; empty if already published."
    )
