"""Equipment health routes: health index, anomaly warnings, remaining useful life and planned maintenance
windows, from the predictive-maintenance watcher.

The watcher lives on ``app.state.equipment_health`` (built empty on first use); whoever feeds it telemetry
(the demo's MQTT landing, a periodic job over ``dwd_telemetry``, the twin) makes these answers current.
``POST /equipment-health/telemetry`` feeds it long-format samples directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from plantloop.api.deps import ContainerDep, ScopeDep, require
from plantloop.api.scope import LineResolver, OutOfScope, visible
from plantloop.kernel.clock import PlantTime, ensure_utc
from plantloop.kernel.errors import NotFound
from plantloop.optimize.maintenance.monitor import HealthStatus
from plantloop.optimize.maintenance.watch import MAX_ABS_READING, PredictiveMaintenanceWatcher

router = APIRouter(prefix="/equipment-health", tags=["equipment health"])


class UnknownEquipmentHealth(NotFound):
    code = "unknown_equipment_health"

    def __init__(self, equipment_id: str) -> None:
        super().__init__(
            f"no telemetry has been seen for equipment {equipment_id}", equipment_id=equipment_id
        )


def get_watcher(request: Request) -> PredictiveMaintenanceWatcher:
    watcher: PredictiveMaintenanceWatcher | None = getattr(request.app.state, "equipment_health", None)
    if watcher is None:
        watcher = request.app.state.equipment_health = PredictiveMaintenanceWatcher()
    return watcher


WatcherDep = Annotated[PredictiveMaintenanceWatcher, Depends(get_watcher)]


class HealthOut(BaseModel):
    equipment_id: str
    at: datetime | None
    learning: bool = Field(description="Still learning the machine's modes or normal baseline.")
    health: float = Field(description="1 = like its baseline, 0.5 at the alarm threshold, towards 0 worse.")
    score: float
    threshold: float
    mode: int | None
    warning: bool
    warning_since: datetime | None
    rul_h: float | None = Field(description="Hours until the score's trend reaches the failure level.")

    @classmethod
    def of(cls, status: HealthStatus) -> HealthOut:
        return cls(**{name: getattr(status, name) for name in cls.model_fields})


class Sample(BaseModel):
    equipment_id: str
    tag: str = Field(description="Channel with its unit, e.g. vibration_mm_s.")
    value: float = Field(
        ge=-MAX_ABS_READING,
        le=MAX_ABS_READING,
        allow_inf_nan=False,
        description="A finite reading within ±1e9 (anything beyond is transmission garbage).",
    )
    measured_at: PlantTime = Field(description="Aware, or naive as UTC; years 1990 to 2200.")


class TelemetryIn(BaseModel):
    samples: list[Sample] = Field(max_length=500_000)


@router.get("", dependencies=[require("read")])
def list_health(watcher: WatcherDep, container: ContainerDep, scope: ScopeDep) -> list[HealthOut]:
    """Health of every machine the watcher has seen (of the caller's lines), worst first."""
    lines = LineResolver(container.queries)
    seen = [s for s in watcher.statuses() if visible(lines.of_place(s.equipment_id), scope)]
    return sorted((HealthOut.of(s) for s in seen), key=lambda h: h.health)


@router.get("/maintenance-windows", dependencies=[require("read")])
def maintenance_windows(
    watcher: WatcherDep, container: ContainerDep, scope: ScopeDep
) -> list[dict[str, Any]]:
    """Planned predictive-maintenance windows not over yet (what the scheduler removes from capacity)."""
    now = container.clock.now()
    lines = LineResolver(container.queries)
    return [
        {
            "equipment_id": w.equipment_id,
            "start": w.start,
            "end": w.end,
            "maintenance_order_id": w.maintenance_order_id,
        }
        for w in watcher.windows
        if w.end > now and visible(lines.of_place(w.equipment_id), scope)
    ]


@router.get("/{equipment_id}", dependencies=[require("read")])
def get_health(equipment_id: str, watcher: WatcherDep, container: ContainerDep, scope: ScopeDep) -> HealthOut:
    """Health, warning and remaining life of one machine."""
    if equipment_id not in watcher.monitors or not visible(
        LineResolver(container.queries).of_place(equipment_id), scope
    ):
        raise UnknownEquipmentHealth(equipment_id)
    ratios = watcher.fleet_failure_ratios()
    return HealthOut.of(watcher.monitors[equipment_id].status(ratios))


@router.post("/telemetry", dependencies=[require("ingest")])
def feed_telemetry(
    body: TelemetryIn, watcher: WatcherDep, container: ContainerDep, scope: ScopeDep
) -> dict[str, int]:
    """Feed telemetry samples (long format) to the watcher (a line-scoped caller: its lines' machines).
    Returns the instants fed: each machine's newest one is fed with the next post, which may complete it."""
    lines = LineResolver(container.queries)
    outside = sorted(
        {s.equipment_id for s in body.samples if not visible(lines.of_place(s.equipment_id), scope)}
    )
    if outside:
        raise OutOfScope(
            f"samples of {', '.join(outside[:5])} are outside your scope", equipment_ids=outside[:20]
        )
    rows = pd.DataFrame([s.model_dump() for s in body.samples])
    if rows.empty:
        return {"samples": 0}
    rows["measured_at"] = [ensure_utc(t) for t in rows["measured_at"]]
    return {"samples": watcher.ingest_rows(rows)}
