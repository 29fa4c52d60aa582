"""Demo sessions on one data directory: the first ``plantloop demo`` starts epoch 1 at "now"; a second one
resumes on the same MES store, ODS and warehouse as epoch 2, and so on.

The simulator cannot carry on the previous process's in-flight work (its state lived in memory), so a new
session (a) prefixes every id it creates with ``E<epoch>-`` and (b) first closes what the previous epoch
left open — through MES commands, so the event stream says what happened: open downtime is ended,
maintenance completed, running operations completed with nothing reported (qty 0) and unfinished work
orders cancelled with the reason "demo session ended". Plant time never goes backwards: a session starts
at the later of the wall clock and the last plant time of the previous one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from plantloop.kernel.errors import PlantloopError
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries

STATE_FILE = "demo_session.json"
ISSUED_BY = "demo:session-close"


@dataclass(frozen=True)
class Session:
    epoch: int
    start_at: datetime
    resumed: bool

    @property
    def id_prefix(self) -> str:
        return f"E{self.epoch}-"


def _state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def begin_session(data_dir: Path, *, now: datetime | None = None) -> Session:
    """The next session on ``data_dir`` (epoch 1 when there is none) and its plant start time."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    path = _state_path(data_dir)
    if not path.exists():
        return Session(1, now, resumed=False)
    state = json.loads(path.read_text())
    last = datetime.fromisoformat(state["plant_time"])
    return Session(int(state["epoch"]) + 1, max(now, last.replace(microsecond=0)), resumed=True)


def record_progress(data_dir: Path, session: Session, plant_time: datetime) -> None:
    """Remember how far this session got (written atomically; read by the next session)."""
    path = _state_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"epoch": session.epoch, "plant_time": plant_time.isoformat()}))
    tmp.replace(path)


@dataclass
class ClosedLeftovers:
    downtimes_ended: int = 0
    maintenance_completed: int = 0
    operations_completed: int = 0
    work_orders_cancelled: int = 0
    refused: list[str] = field(default_factory=list)


def close_previous_epochs(bus: MessageBus, queries: MesQueries, at: datetime) -> ClosedLeftovers:
    """Close what earlier sessions left open (see the module docstring)."""
    out = ClosedLeftovers()
    for eq in queries.equipment_states():
        if eq.maintenance_order_id is not None:
            bus.handle(
                c.CompleteMaintenance(
                    at=at,
                    maintenance_order_id=eq.maintenance_order_id,
                    notes="demo session ended",
                    issued_by=ISSUED_BY,
                )
            )
            out.maintenance_completed += 1
        elif eq.in_downtime:
            bus.handle(c.EndDowntime(at=at, equipment_id=eq.id, issued_by=ISSUED_BY))
            out.downtimes_ended += 1
    for eq in queries.equipment_states():
        if eq.current_operation_id is not None:
            bus.handle(
                c.CompleteOperation(
                    at=at, operation_id=eq.current_operation_id, qty_good=0, qty_scrap=0, issued_by=ISSUED_BY
                )
            )
            out.operations_completed += 1
    open_ids: list[str] = []
    for status in (WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.RELEASED, WorkOrderStatus.CREATED):
        offset = 0
        while batch := queries.work_orders(status=status, limit=500, offset=offset):
            open_ids.extend(wo.id for wo in batch)
            offset += len(batch)
    for work_order_id in open_ids:
        current = queries.work_order(work_order_id)
        if current is None or current.status == WorkOrderStatus.CANCELLED:
            continue  # cancelled with its parent order a moment ago
        try:
            bus.handle(
                c.CancelWorkOrder(
                    at=at, work_order_id=work_order_id, reason="demo session ended", issued_by=ISSUED_BY
                )
            )
            out.work_orders_cancelled += 1
        except PlantloopError as exc:  # e.g. already cancelled with its parent: say so, go on
            out.refused.append(f"{work_order_id}: {exc.message}")
    return out
