"""Event routes: the MES outbox, filtered by type, subject and time, paged by sequence number."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from plantloop.api.deps import QueriesDep, require
from plantloop.api.limits import MAX_BIGINT
from plantloop.api.schemas.events import EventOut, EventPage

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", dependencies=[require("read")])
def list_events(
    queries: QueriesDep,
    type: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int = Query(default=0, ge=0, le=MAX_BIGINT),
    limit: int = Query(default=100, ge=1, le=1000),
) -> EventPage:
    """Outbox events in order; pass ``next_after_seq`` back as ``after_seq`` for the next page."""
    records = queries.events(
        type=type, subject=subject, since=since, until=until, after_seq=after_seq, limit=limit
    )
    items = [EventOut(seq=r.seq, event=r.envelope) for r in records]
    return EventPage(items=items, next_after_seq=items[-1].seq if len(items) == limit else None)
