"""Decisions are data: a schedule, a lot hold, a maintenance order is a versioned record of what was decided,
on which data, by which model, with which evidence, who approved it and what the MES answered.

A decision moves through a small state machine (pure; no I/O here)::

    PROPOSED ──approve──► APPROVED ──publish──► PUBLISHED ──ack──► ACKNOWLEDGED
        │                    │                      │
        ├──reject──► REJECTED                       └──MES refused──► FAILED
        └──(a newer version of the same subject)──► SUPERSEDED

``PROPOSED`` decisions wait for a person when the approval policy says so; auto-approved ones go straight
through. A decision whose input partitions failed data-quality checks is PROPOSED with ``dq_passed=False``
and cannot be approved unless an approver overrides the gate explicitly (recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from plantloop.loop.errors import DecisionNotPending
from plantloop.mes.domain.commands import Command


class DecisionKind(StrEnum):
    SCHEDULE = "schedule"
    LOT_HOLD = "lot_hold"
    LOT_RELEASE = "lot_release"
    MAINTENANCE_ORDER = "maintenance_order"
    NONCONFORMANCE = "nonconformance"
    FORM_ENTRY = "form_entry"


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    SUPERSEDED = "superseded"


#: Statuses from which nothing moves any more.
FINAL = frozenset(
    {DecisionStatus.REJECTED, DecisionStatus.ACKNOWLEDGED, DecisionStatus.FAILED, DecisionStatus.SUPERSEDED}
)


@dataclass(frozen=True, slots=True)
class PartitionRef:
    """A partition of a governed table a decision was built on, e.g. ``("dwd_operation_execution",
    "2026-11-27/L1")`` — the key format is the data platform's partition key."""

    table: str
    partition: str

    def __str__(self) -> str:
        return f"{self.table}[{self.partition}]"


@dataclass(frozen=True, slots=True)
class DqVerdict:
    """What the data-quality gate said about a decision's inputs."""

    passed: bool
    failed_partitions: tuple[str, ...] = ()
    checked: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed_partitions": list(self.failed_partitions),
            "checked": self.checked,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """One version of a decision about ``subject``. Immutable: transitions return a new value."""

    id: str
    kind: DecisionKind
    subject: str
    version: int
    title: str
    commands: tuple[Command, ...]
    status: DecisionStatus
    proposed_by: str
    proposed_at: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[PartitionRef, ...] = ()
    model_version: str | None = None
    dq: DqVerdict = DqVerdict(passed=True)
    approval_required: bool = False
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    published_at: datetime | None = None
    acknowledgement: dict[str, Any] | None = None
    error: str | None = None
    #: Measured effect on KPIs after publishing, by metric name (see :mod:`plantloop.loop.effect`).
    effects: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.status is DecisionStatus.PROPOSED

    def _require(self, *allowed: DecisionStatus, action: str) -> None:
        if self.status not in allowed:
            raise DecisionNotPending(self.id, self.status.value, action)

    def approve(self, by: str, at: datetime, note: str = "") -> Decision:
        self._require(DecisionStatus.PROPOSED, action="approve")
        return replace(self, status=DecisionStatus.APPROVED, decided_by=by, decided_at=at, note=note)

    def reject(self, by: str, at: datetime, reason: str) -> Decision:
        self._require(DecisionStatus.PROPOSED, DecisionStatus.APPROVED, action="reject")
        return replace(self, status=DecisionStatus.REJECTED, decided_by=by, decided_at=at, note=reason)

    def published(self, at: datetime) -> Decision:
        self._require(DecisionStatus.APPROVED, action="publish")
        return replace(self, status=DecisionStatus.PUBLISHED, published_at=at)

    def acknowledged(self, acknowledgement: dict[str, Any]) -> Decision:
        self._require(DecisionStatus.PUBLISHED, action="acknowledge")
        return replace(self, status=DecisionStatus.ACKNOWLEDGED, acknowledgement=acknowledgement)

    def failed(self, error: str, acknowledgement: dict[str, Any] | None = None) -> Decision:
        self._require(DecisionStatus.APPROVED, DecisionStatus.PUBLISHED, action="fail")
        return replace(self, status=DecisionStatus.FAILED, error=error, acknowledgement=acknowledgement)

    def with_effect(self, metric: str, effect: dict[str, Any]) -> Decision:
        self._require(DecisionStatus.ACKNOWLEDGED, action="record an effect")
        return replace(self, effects={**self.effects, metric: effect})

    def superseded(self) -> Decision:
        self._require(DecisionStatus.PROPOSED, DecisionStatus.APPROVED, action="supersede")
        return replace(self, status=DecisionStatus.SUPERSEDED)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able record (API, UI, lineage)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "subject": self.subject,
            "version": self.version,
            "title": self.title,
            "status": self.status.value,
            "commands": [command_to_dict(c) for c in self.commands],
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at.isoformat(),
            "evidence": self.evidence,
            "parameters": self.parameters,
            "inputs": [{"table": p.table, "partition": p.partition} for p in self.inputs],
            "model_version": self.model_version,
            "dq": self.dq.to_dict(),
            "approval_required": self.approval_required,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "acknowledgement": self.acknowledgement,
            "error": self.error,
            "effects": self.effects,
        }


def command_to_dict(command: Command) -> dict[str, Any]:
    """``{"type": "HoldLot", ...fields}`` — how commands are stored and shown."""
    return {"type": type(command).__name__, **command.model_dump(mode="json")}


def command_from_dict(data: dict[str, Any]) -> Command:
    """Inverse of :func:`command_to_dict` for the MES command contract."""
    from plantloop.mes.domain import commands

    body = dict(data)
    name = body.pop("type")
    cls = getattr(commands, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Command)):
        raise ValueError(f"unknown MES command type {name!r}")
    return cls.model_validate(body)
