"""Dispatch lists: what each work center should run next, in order.

A published schedule version replaces the list of every work center it names (:class:`DispatchBoard`);
publishing the same version again changes nothing, and a version first published earlier than the one a
board shows cannot replace it. What operators see (:func:`order_dispatch_list`) is:

1. the board's published entries, in published order, for operations that are still dispatchable;
2. then every other dispatchable operation at that work center, first in first out (order release time,
   then work order id, then seq) — nothing dispatchable is hidden.

*Dispatchable* = not started (PENDING or READY) and of a released, not held, not finished work order.
Only READY operations can be started; PENDING ones wait for their predecessor and are shown for planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.errors import StaleScheduleVersion


@dataclass(frozen=True, slots=True)
class BoardEntry:
    operation_id: str
    position: int
    equipment_id: str | None = None
    planned_start_at: datetime | None = None
    planned_end_at: datetime | None = None


class ScheduleVersion(Aggregate):
    """A published schedule version (its first publication time orders versions)."""

    kind = "schedule_version"

    def __init__(
        self, *, id: str, published_at: datetime, decision_id: str | None, issued_by: str, event_seq: int = 0
    ) -> None:
        self.id = id
        self.published_at = published_at
        self.decision_id = decision_id
        self.issued_by = issued_by
        self._init_aggregate(event_seq)


class DispatchBoard(Aggregate):
    """The current published list of one work center."""

    kind = "dispatch_board"

    def __init__(
        self,
        *,
        id: str,
        schedule_version: str | None = None,
        published_at: datetime | None = None,
        entries: list[BoardEntry] | None = None,
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.schedule_version = schedule_version
        self.published_at = published_at
        self.entries = entries or []
        self._init_aggregate(event_seq)

    @property
    def work_center_id(self) -> str:
        return self.id

    def publish(
        self, version: ScheduleVersion, entries: list[BoardEntry], *, decision_id: str | None, at: datetime
    ) -> None:
        if self.schedule_version == version.id:
            return
        if self.published_at is not None and version.published_at < self.published_at:
            raise StaleScheduleVersion(version.id, self.id, self.schedule_version or "")
        self.schedule_version = version.id
        self.published_at = version.published_at
        self.entries = sorted(entries, key=lambda e: (e.position, e.operation_id))
        self._record(
            ev.DispatchListPublished(
                at=at,
                work_center_id=self.id,
                schedule_version=version.id,
                operation_ids=[e.operation_id for e in self.entries],
                decision_id=decision_id,
            )
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A dispatchable operation at one work center, as the read side finds it."""

    operation_id: str
    work_order_id: str
    material_id: str
    qty: int
    seq: int
    status: str
    priority: int
    due_at: datetime
    released_at: datetime | None


@dataclass(frozen=True, slots=True)
class DispatchItem:
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


def _fifo_key(c: Candidate) -> tuple[str, str, int]:
    released = c.released_at.isoformat() if c.released_at else ""
    return (released, c.work_order_id, c.seq)


def order_dispatch_list(
    work_center_id: str, candidates: list[Candidate], entries: list[BoardEntry], schedule_version: str | None
) -> list[DispatchItem]:
    by_op = {c.operation_id: c for c in candidates}
    items: list[DispatchItem] = []
    for e in sorted(entries, key=lambda e: (e.position, e.operation_id)):
        c = by_op.pop(e.operation_id, None)
        if c is None:
            continue
        items.append(
            DispatchItem(
                operation_id=c.operation_id,
                work_center_id=work_center_id,
                position=len(items),
                work_order_id=c.work_order_id,
                material_id=c.material_id,
                qty=c.qty,
                seq=c.seq,
                status=c.status,
                priority=c.priority,
                due_at=c.due_at,
                equipment_id=e.equipment_id,
                planned_start_at=e.planned_start_at,
                planned_end_at=e.planned_end_at,
                schedule_version=schedule_version,
                published=True,
            )
        )
    for c in sorted(by_op.values(), key=_fifo_key):
        items.append(
            DispatchItem(
                operation_id=c.operation_id,
                work_center_id=work_center_id,
                position=len(items),
                work_order_id=c.work_order_id,
                material_id=c.material_id,
                qty=c.qty,
                seq=c.seq,
                status=c.status,
                priority=c.priority,
                due_at=c.due_at,
                equipment_id=None,
                planned_start_at=None,
                planned_end_at=None,
                schedule_version=schedule_version,
                published=False,
            )
        )
    return items
