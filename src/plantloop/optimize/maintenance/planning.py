"""From an equipment warning to a maintenance order and a maintenance window for the scheduler.

:func:`plan_predictive_maintenance` turns a machine's health status (:mod:`.monitor`) into a proposal
(:class:`~plantloop.optimize.proposals.Proposal`) of kind ``maintenance_order``:

- the **window** starts as soon as possible (``now + lead``); when the spare-part kit is not on hand it
  starts when the kit is expected if the estimated remaining life lasts until then — otherwise (or when
  the remaining life is unknown) it stays early and the proposal says the parts are short (a person
  decides);
- the **command** is a ``CreateMaintenanceOrder`` (kind ``predictive``) with the window as its planned
  start and duration, so the MES holds the order and the scheduler removes the capacity;
- the **evidence** is what the monitor saw (score, threshold, health, trend RUL, since when) and the kit
  check. :class:`MaintenanceWindow` is what the scheduler consumes: ``(equipment_id, start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plantloop.mes.domain.commands import CreateMaintenanceOrder, MaintenanceKind
from plantloop.optimize.maintenance.monitor import HealthStatus
from plantloop.optimize.maintenance.spares import Kit, KitCheck, SparePartStock, check_kit
from plantloop.optimize.proposals import Proposal

MODEL_VERSION = "pdm-modes-mahalanobis-v1"


@dataclass(frozen=True)
class MaintenanceWindow:
    equipment_id: str
    start: datetime
    end: datetime
    maintenance_order_id: str

    def as_tuple(self) -> tuple[str, datetime, datetime]:
        """What ``optimize.scheduling`` takes as an outage: ``(equipment_id, start, end)``."""
        return (self.equipment_id, self.start, self.end)


@dataclass(frozen=True)
class PlanningConfig:
    duration: timedelta = timedelta(minutes=30)
    lead: timedelta = timedelta(0)


def maintenance_order_id(equipment_id: str, warning_since: datetime) -> str:
    return f"PDM-{equipment_id}-{warning_since:%Y%m%d%H%M}"


def plan_predictive_maintenance(
    status: HealthStatus,
    now: datetime,
    *,
    config: PlanningConfig | None = None,
    stock: SparePartStock | None = None,
    kit: Kit = (),
    proposed_by: str = "pdm",
) -> tuple[Proposal, MaintenanceWindow]:
    """The maintenance-order proposal and the window for one warned machine."""
    cfg = config or PlanningConfig()
    since = status.warning_since or now
    order_id = maintenance_order_id(status.equipment_id, since)
    start = now + cfg.lead
    parts: KitCheck | None = check_kit(stock, kit, now) if stock is not None and kit else None
    parts_short = parts is not None and not parts.available
    ready = parts.ready_at if parts is not None else None
    if (
        ready is not None
        and ready > start
        and status.rul_h is not None
        and ready < now + timedelta(hours=status.rul_h)
    ):
        start = ready  # there is time enough to wait for the parts
    end = start + cfg.duration
    rul = f"{status.rul_h:.1f} h" if status.rul_h is not None else "unknown"
    reason = f"anomaly warning since {since:%Y-%m-%d %H:%M}: health {status.health:.2f}, remaining life {rul}"
    command = CreateMaintenanceOrder(
        at=now,
        maintenance_order_id=order_id,
        equipment_id=status.equipment_id,
        kind=MaintenanceKind.PREDICTIVE,
        reason=reason + (" (spare parts short)" if parts_short else ""),
        planned_start_at=start,
        planned_duration_s=cfg.duration.total_seconds(),
        details={"kit": [list(item) for item in kit], "parts_short": parts_short},
        issued_by=proposed_by,
    )
    evidence = {
        "equipment_id": status.equipment_id,
        "warning_since": since.isoformat(),
        "anomaly_score": round(status.score, 4),
        "threshold": round(status.threshold, 4),
        "health": round(status.health, 4),
        "operating_mode": status.mode,
        "rul_h": round(status.rul_h, 2) if status.rul_h is not None else None,
        "failure_level": round(status.failure_level, 4) if status.failure_level is not None else None,
        "spare_parts": parts.to_dict() if parts is not None else None,
    }
    window = MaintenanceWindow(status.equipment_id, start, end, order_id)
    proposal = Proposal(
        kind="maintenance_order",
        subject=f"equipment:{status.equipment_id}",
        commands=(command,),
        title=f"Predictive maintenance of {status.equipment_id}: {reason}",
        evidence=evidence,
        inputs=(("dwd_telemetry", f"{now:%Y-%m-%d}/{status.equipment_id}"),),
        parameters={"window": {"start": start.isoformat(), "end": end.isoformat()}},
        model_version=MODEL_VERSION,
        proposed_by=proposed_by,
    )
    return proposal, window
