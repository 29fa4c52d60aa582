"""Equipment and its PackML-style state machine.

The transition table below is the whole truth: anything not in it raises :class:`InvalidTransition`
(HTTP 409). Starting an operation puts the equipment in EXECUTE, completing it returns it to IDLE;
downtime moves it to ABORTED (breakdown), STOPPED (planned) or HELD (other unplanned stops) and pauses
the running operation; maintenance puts it in MAINTENANCE.
"""

from __future__ import annotations

from datetime import datetime

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.commands import EquipmentState as S
from plantloop.mes.domain.errors import EquipmentBusy, InvalidTransition

TRANSITIONS: dict[S, frozenset[S]] = {
    S.IDLE: frozenset({S.STARTING, S.EXECUTE, S.STOPPED, S.HELD, S.SUSPENDED, S.ABORTED, S.MAINTENANCE}),
    S.STARTING: frozenset({S.EXECUTE, S.IDLE, S.HELD, S.STOPPED, S.ABORTED}),
    S.EXECUTE: frozenset({S.IDLE, S.HELD, S.SUSPENDED, S.STOPPED, S.ABORTED}),
    S.HELD: frozenset({S.EXECUTE, S.SUSPENDED, S.IDLE, S.STOPPED, S.ABORTED, S.MAINTENANCE}),
    S.SUSPENDED: frozenset({S.EXECUTE, S.IDLE, S.HELD, S.STOPPED, S.ABORTED}),
    S.STOPPED: frozenset({S.IDLE, S.SUSPENDED, S.ABORTED, S.MAINTENANCE}),
    S.ABORTED: frozenset({S.IDLE, S.SUSPENDED, S.STOPPED, S.MAINTENANCE}),
    S.MAINTENANCE: frozenset({S.IDLE, S.STOPPED, S.SUSPENDED}),
}

#: States in which an open downtime keeps the equipment.
DOWN = frozenset({S.HELD, S.STOPPED, S.ABORTED, S.MAINTENANCE})


def downtime_state(reason_code: str, planned: bool) -> S:
    """Where a downtime puts the equipment: breakdown → ABORTED, planned → STOPPED, else HELD."""
    if reason_code == "BRK":
        return S.ABORTED
    return S.STOPPED if planned else S.HELD


class Equipment(Aggregate):
    kind = "equipment"

    def __init__(
        self,
        *,
        id: str,
        work_center_id: str,
        state: S = S.IDLE,
        state_since: datetime | None = None,
        current_operation_id: str | None = None,
        downtime_reason_code: str | None = None,
        downtime_planned: bool = False,
        downtime_started_at: datetime | None = None,
        maintenance_order_id: str | None = None,
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.work_center_id = work_center_id
        self.state = state
        self.state_since = state_since
        self.current_operation_id = current_operation_id
        self.downtime_reason_code = downtime_reason_code
        self.downtime_planned = downtime_planned
        self.downtime_started_at = downtime_started_at
        self.maintenance_order_id = maintenance_order_id
        self._init_aggregate(event_seq)

    @property
    def in_downtime(self) -> bool:
        return self.downtime_reason_code is not None

    def change_state(self, to: S, at: datetime, action: str | None = None) -> None:
        if to is self.state:
            return
        if to not in TRANSITIONS[self.state]:
            raise InvalidTransition("equipment", self.id, self.state.value, action or f"go to {to.value}")
        before = self.state
        self.state = to
        self.state_since = at
        self._record(
            ev.EquipmentStateChanged(
                at=at,
                equipment_id=self.id,
                from_state=before.value,
                to_state=to.value,
                operation_id=self.current_operation_id,
            )
        )

    # ---- operations ----------------------------------------------------------------------------
    def start_operation(self, operation_id: str, at: datetime) -> None:
        if self.current_operation_id is not None:
            raise EquipmentBusy(self.id, self.current_operation_id)
        if self.state not in (S.IDLE, S.STARTING):
            raise InvalidTransition(
                "equipment", self.id, self.state.value, f"start operation {operation_id!r}"
            )
        self.current_operation_id = operation_id
        self.change_state(S.EXECUTE, at)

    def pause_operation(self, at: datetime) -> None:
        if self.state is S.EXECUTE:
            self.change_state(S.SUSPENDED, at)

    def resume_operation(self, at: datetime) -> None:
        if self.in_downtime:
            raise InvalidTransition("equipment", self.id, self.state.value, "resume work during downtime")
        self.change_state(S.EXECUTE, at, "resume its operation")

    def finish_operation(self, operation_id: str, at: datetime) -> None:
        if self.current_operation_id == operation_id:
            self.current_operation_id = None
        if self.state in (S.EXECUTE, S.SUSPENDED, S.STARTING) or (
            self.state is S.HELD and not self.in_downtime
        ):
            self.change_state(S.IDLE, at)

    # ---- downtime ------------------------------------------------------------------------------
    def start_downtime(self, reason_code: str, planned: bool, at: datetime) -> None:
        if self.in_downtime:
            raise InvalidTransition(
                "equipment", self.id, f"down ({self.downtime_reason_code})", f"start downtime {reason_code!r}"
            )
        target = downtime_state(reason_code, planned)
        self.change_state(target, at, f"start downtime {reason_code!r}")
        self.downtime_reason_code = reason_code
        self.downtime_planned = planned
        self.downtime_started_at = at
        self._record(
            ev.DowntimeStarted(
                at=at,
                equipment_id=self.id,
                reason_code=reason_code,
                planned=planned,
                operation_id=self.current_operation_id,
            )
        )

    def end_downtime(self, at: datetime, *, resume: bool) -> None:
        """End the open downtime. The equipment goes back to EXECUTE when its operation resumes, to
        SUSPENDED when its operation stays paused, to IDLE otherwise (or stays in MAINTENANCE)."""
        if not self.in_downtime:
            raise InvalidTransition("equipment", self.id, self.state.value, "end downtime (none is open)")
        reason, planned, started = (
            self.downtime_reason_code or "",
            self.downtime_planned,
            self.downtime_started_at,
        )
        self.downtime_reason_code = None
        self.downtime_planned = False
        self.downtime_started_at = None
        self._record(
            ev.DowntimeEnded(
                at=at,
                equipment_id=self.id,
                reason_code=reason,
                planned=planned,
                started_at=started or at,
                duration_s=max((at - started).total_seconds(), 0.0) if started else 0.0,
            )
        )
        if self.state is S.MAINTENANCE:
            return
        if self.current_operation_id is None:
            self.change_state(S.IDLE, at)
            return
        self.change_state(S.SUSPENDED, at)  # back from the fault, the interrupted work waits …
        if resume:
            self.change_state(S.EXECUTE, at)  # … and carries on at once when its operation resumes

    # ---- maintenance ---------------------------------------------------------------------------
    def start_maintenance(self, maintenance_order_id: str, at: datetime) -> None:
        if self.current_operation_id is not None and not self.in_downtime:
            raise EquipmentBusy(self.id, self.current_operation_id)
        self.change_state(S.MAINTENANCE, at, f"start maintenance {maintenance_order_id!r}")
        self.maintenance_order_id = maintenance_order_id

    def complete_maintenance(self, at: datetime) -> bool:
        """Leave MAINTENANCE (ending any open downtime). Returns whether a paused operation should resume."""
        self.maintenance_order_id = None
        if self.in_downtime:
            self.end_downtime(at, resume=False)
        target = S.SUSPENDED if self.current_operation_id else S.IDLE
        self.change_state(target, at, "complete maintenance")
        return self.current_operation_id is not None
