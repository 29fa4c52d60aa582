"""The audit log: every write — and every read of sensitive data — leaves a line saying who did what to
what, when, and how it ended. Append-only; nothing in plantloop updates or deletes an audit row.

``AuditLog`` is the port; :class:`SqlAuditLog` writes the ``audit_log`` table of the operational store and
:class:`InMemoryAuditLog` is its twin. Actions are short verbs with a context prefix (``decision.approve``,
``api.post``, ``access.read_sensitive``, ``form.submit``); ``target`` names the thing (``decision:<id>``,
``/api/v1/lots/L-1/hold``); ``details`` is JSON-able and must never contain secrets.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plantloop.kernel.clock import Clock, SystemClock, ensure_utc
from plantloop.loop.orm import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "details": self.details,
        }


class AuditLog(Protocol):
    def record(
        self, actor: str, action: str, target: str, *, outcome: str = "ok", **details: Any
    ) -> AuditEntry: ...

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Newest first; ``action`` and ``target`` match as prefixes."""
        ...


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class InMemoryAuditLog:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._entries: list[AuditEntry] = []
        self._lock = threading.Lock()

    def record(
        self, actor: str, action: str, target: str, *, outcome: str = "ok", **details: Any
    ) -> AuditEntry:
        entry = AuditEntry(self.clock.now(), actor, action, target, outcome, details)
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        found = [
            e
            for e in reversed(self._entries)
            if (actor is None or e.actor == actor)
            and (action is None or e.action.startswith(action))
            and (target is None or e.target.startswith(target))
        ]
        return found[:limit]


class SqlAuditLog:
    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()

    def record(
        self, actor: str, action: str, target: str, *, outcome: str = "ok", **details: Any
    ) -> AuditEntry:
        entry = AuditEntry(
            self.clock.now(), _clip(actor, 128), _clip(action, 64), _clip(target, 300), outcome, details
        )
        with self.engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target,
                    outcome=_clip(outcome, 16),
                    details=json.dumps(details, sort_keys=True, default=str),
                )
            )
        return entry

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(audit_log.c.actor == actor)
        if action is not None:
            query = query.where(audit_log.c.action.startswith(action, autoescape=True))
        if target is not None:
            query = query.where(audit_log.c.target.startswith(target, autoescape=True))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            AuditEntry(
                ensure_utc(r["at"]),
                r["actor"],
                r["action"],
                r["target"],
                r["outcome"],
                json.loads(r["details"]),
            )
            for r in rows
        ]
