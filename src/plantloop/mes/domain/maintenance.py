"""Maintenance orders: PLANNED → IN_PROGRESS → COMPLETED, on one piece of equipment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.commands import MaintenanceKind
from plantloop.mes.domain.errors import InvalidTransition


class MaintenanceStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class MaintenanceOrder(Aggregate):
    kind = "maintenance_order"

    def __init__(
        self,
        *,
        id: str,
        equipment_id: str,
        maintenance_kind: MaintenanceKind,
        status: MaintenanceStatus = MaintenanceStatus.PLANNED,
        reason: str = "",
        planned_start_at: datetime | None = None,
        planned_duration_s: float = 3600.0,
        decision_id: str | None = None,
        details: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        started_at: datetime | None = None,
        completed_at: datetime | None = None,
        notes: str = "",
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.equipment_id = equipment_id
        self.maintenance_kind = maintenance_kind
        self.status = status
        self.reason = reason
        self.planned_start_at = planned_start_at
        self.planned_duration_s = planned_duration_s
        self.decision_id = decision_id
        self.details = details or {}
        self.created_at = created_at
        self.started_at = started_at
        self.completed_at = completed_at
        self.notes = notes
        self._init_aggregate(event_seq)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        equipment_id: str,
        maintenance_kind: MaintenanceKind,
        reason: str,
        planned_start_at: datetime | None,
        planned_duration_s: float,
        decision_id: str | None,
        details: dict[str, Any],
        at: datetime,
    ) -> MaintenanceOrder:
        mo = cls(
            id=id,
            equipment_id=equipment_id,
            maintenance_kind=maintenance_kind,
            reason=reason,
            planned_start_at=planned_start_at,
            planned_duration_s=planned_duration_s,
            decision_id=decision_id,
            details=details,
            created_at=at,
        )
        mo._record(
            ev.MaintenanceOrderCreated(
                at=at,
                maintenance_order_id=id,
                equipment_id=equipment_id,
                kind=maintenance_kind.value,
                reason=reason,
                planned_start_at=planned_start_at,
                planned_duration_s=planned_duration_s,
                decision_id=decision_id,
            )
        )
        return mo

    def start(self, at: datetime) -> None:
        if self.status is not MaintenanceStatus.PLANNED:
            raise InvalidTransition("maintenance order", self.id, self.status.value, "start")
        self.status = MaintenanceStatus.IN_PROGRESS
        self.started_at = at
        self._record(
            ev.MaintenanceStarted(
                at=at,
                maintenance_order_id=self.id,
                equipment_id=self.equipment_id,
                kind=self.maintenance_kind.value,
            )
        )

    def complete(self, at: datetime, notes: str) -> None:
        if self.status is not MaintenanceStatus.IN_PROGRESS:
            raise InvalidTransition("maintenance order", self.id, self.status.value, "complete")
        self.status = MaintenanceStatus.COMPLETED
        self.completed_at = at
        self.notes = notes
        duration_s = (at - self.started_at).total_seconds() if self.started_at else 0.0
        self._record(
            ev.MaintenanceCompleted(
                at=at,
                maintenance_order_id=self.id,
                equipment_id=self.equipment_id,
                kind=self.maintenance_kind.value,
                started_at=self.started_at,
                duration_s=max(duration_s, 0.0),
                notes=notes,
            )
        )
