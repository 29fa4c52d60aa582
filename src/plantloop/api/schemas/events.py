"""API schemas for outbox events."""

from __future__ import annotations

from pydantic import BaseModel

from plantloop.kernel.envelope import EventEnvelope


class EventOut(BaseModel):
    seq: int
    event: EventEnvelope


class EventPage(BaseModel):
    items: list[EventOut]
    next_after_seq: int | None


class HealthOut(BaseModel):
    status: str
    plant: str
    last_event_seq: int
