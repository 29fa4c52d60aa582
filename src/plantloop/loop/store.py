"""Where decisions live: the ``decisions`` table of the operational store (SQLite / PostgreSQL, migrated
with the MES schema) and its in-memory twin.

A row keeps the indexed facts (kind, subject, version, status, times) beside the whole record as JSON, so
the record can grow without a migration while lists stay cheap to filter.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plantloop.kernel.clock import ensure_utc
from plantloop.loop.decisions import (
    Decision,
    DecisionKind,
    DecisionStatus,
    DqVerdict,
    PartitionRef,
    command_from_dict,
)
from plantloop.loop.errors import UnknownDecision
from plantloop.loop.orm import decisions


class DecisionStore(Protocol):
    def add(self, decision: Decision) -> None: ...

    def save(self, decision: Decision) -> None: ...

    def get(self, decision_id: str) -> Decision: ...

    def latest_version(self, kind: DecisionKind, subject: str) -> int: ...

    def open_versions(self, kind: DecisionKind, subject: str) -> list[Decision]:
        """PROPOSED or APPROVED (not yet published) versions of ``(kind, subject)``."""
        ...

    def list(
        self,
        *,
        kind: DecisionKind | None = None,
        status: DecisionStatus | None = None,
        subject: str | None = None,
        limit: int = 100,
    ) -> list[Decision]:
        """Newest first."""
        ...


_OPEN = (DecisionStatus.PROPOSED, DecisionStatus.APPROVED)


class InMemoryDecisionStore:
    def __init__(self) -> None:
        self._rows: dict[str, Decision] = {}
        self._lock = threading.Lock()

    def add(self, decision: Decision) -> None:
        with self._lock:
            self._rows[decision.id] = decision

    save = add

    def get(self, decision_id: str) -> Decision:
        try:
            return self._rows[decision_id]
        except KeyError:
            raise UnknownDecision(decision_id) from None

    def latest_version(self, kind: DecisionKind, subject: str) -> int:
        versions = [d.version for d in self._rows.values() if d.kind is kind and d.subject == subject]
        return max(versions, default=0)

    def open_versions(self, kind: DecisionKind, subject: str) -> list[Decision]:
        return [
            d for d in self._rows.values() if d.kind is kind and d.subject == subject and d.status in _OPEN
        ]

    def list(
        self,
        *,
        kind: DecisionKind | None = None,
        status: DecisionStatus | None = None,
        subject: str | None = None,
        limit: int = 100,
    ) -> list[Decision]:
        rows = [
            d
            for d in self._rows.values()
            if (kind is None or d.kind is kind)
            and (status is None or d.status is status)
            and (subject is None or d.subject == subject)
        ]
        rows.sort(key=lambda d: (d.proposed_at, d.version), reverse=True)
        return rows[:limit]


class SqlDecisionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, decision: Decision) -> None:
        with self.engine.begin() as conn:
            conn.execute(decisions.insert().values(**_row(decision)))

    def save(self, decision: Decision) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                decisions.update().where(decisions.c.id == decision.id).values(**_row(decision))
            )
            if done.rowcount == 0:
                raise UnknownDecision(decision.id)

    def get(self, decision_id: str) -> Decision:
        with self.engine.connect() as conn:
            record = conn.execute(
                sa.select(decisions.c.record).where(decisions.c.id == decision_id)
            ).scalar_one_or_none()
        if record is None:
            raise UnknownDecision(decision_id)
        return decision_from_record(json.loads(record))

    def latest_version(self, kind: DecisionKind, subject: str) -> int:
        with self.engine.connect() as conn:
            version = conn.execute(
                sa.select(sa.func.max(decisions.c.version)).where(
                    decisions.c.kind == kind.value, decisions.c.subject == subject
                )
            ).scalar_one_or_none()
        return int(version or 0)

    def open_versions(self, kind: DecisionKind, subject: str) -> list[Decision]:
        query = sa.select(decisions.c.record).where(
            decisions.c.kind == kind.value,
            decisions.c.subject == subject,
            decisions.c.status.in_([s.value for s in _OPEN]),
        )
        with self.engine.connect() as conn:
            return [decision_from_record(json.loads(r)) for r in conn.execute(query).scalars()]

    def list(
        self,
        *,
        kind: DecisionKind | None = None,
        status: DecisionStatus | None = None,
        subject: str | None = None,
        limit: int = 100,
    ) -> list[Decision]:
        query = sa.select(decisions.c.record)
        if kind is not None:
            query = query.where(decisions.c.kind == kind.value)
        if status is not None:
            query = query.where(decisions.c.status == status.value)
        if subject is not None:
            query = query.where(decisions.c.subject == subject)
        query = query.order_by(decisions.c.proposed_at.desc(), decisions.c.version.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [decision_from_record(json.loads(r)) for r in conn.execute(query).scalars()]


def _row(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "kind": decision.kind.value,
        "subject": decision.subject,
        "version": decision.version,
        "status": decision.status.value,
        "proposed_at": decision.proposed_at,
        "record": json.dumps(decision.to_dict(), sort_keys=True, default=str),
    }


def _time(value: str | None) -> datetime | None:
    return ensure_utc(datetime.fromisoformat(value)) if value else None


def decision_from_record(r: dict[str, Any]) -> Decision:
    """Rebuild a :class:`Decision` from :meth:`Decision.to_dict` output."""
    dq = r.get("dq") or {}
    proposed_at = _time(r["proposed_at"])
    assert proposed_at is not None
    return Decision(
        id=r["id"],
        kind=DecisionKind(r["kind"]),
        subject=r["subject"],
        version=int(r["version"]),
        title=r["title"],
        commands=tuple(command_from_dict(c) for c in r.get("commands", [])),
        status=DecisionStatus(r["status"]),
        proposed_by=r["proposed_by"],
        proposed_at=proposed_at,
        evidence=r.get("evidence") or {},
        parameters=r.get("parameters") or {},
        inputs=tuple(PartitionRef(p["table"], p["partition"]) for p in r.get("inputs", [])),
        model_version=r.get("model_version"),
        dq=DqVerdict(
            passed=bool(dq.get("passed", True)),
            failed_partitions=tuple(dq.get("failed_partitions", ())),
            checked=int(dq.get("checked", 0)),
            note=dq.get("note", ""),
        ),
        approval_required=bool(r.get("approval_required", False)),
        decided_by=r.get("decided_by"),
        decided_at=_time(r.get("decided_at")),
        note=r.get("note", ""),
        published_at=_time(r.get("published_at")),
        acknowledgement=r.get("acknowledgement"),
        error=r.get("error"),
        effects=r.get("effects") or {},
    )
