"""The predictive-maintenance watcher: telemetry and MES facts in, maintenance-order proposals out.

One :class:`~plantloop.optimize.maintenance.monitor.EquipmentMonitor` per machine. The watcher learns from
the MES what happened to each machine — a breakdown (``StartDowntime`` with the breakdown reason), a
maintenance order completed — and every ``tick`` turns each new warning into a maintenance-order proposal
and a maintenance window (:mod:`.planning`), checking the spare-part kit. It proposes once per warning;
the warning ends when the maintenance is reported done.

It is fed either by MES commands as a shop floor sends them (``observe``; the twin's hooks) or by MES
events (``observe_event``; the outbox in a real plant), and by telemetry chunks (``telemetry``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.errors import InvalidInput
from plantloop.mes.domain import commands as c
from plantloop.optimize.maintenance.monitor import EquipmentMonitor, HealthStatus, MonitorConfig
from plantloop.optimize.maintenance.planning import (
    MaintenanceWindow,
    PlanningConfig,
    plan_predictive_maintenance,
)
from plantloop.optimize.maintenance.spares import Kit, SparePartStock
from plantloop.optimize.proposals import Proposal

BREAKDOWN_REASON = "BRK"


class PredictiveMaintenanceWatcher:
    name = "pdm"

    def __init__(
        self,
        *,
        monitor: MonitorConfig | None = None,
        planning: PlanningConfig | None = None,
        stock: SparePartStock | None = None,
        kits: Mapping[str, Kit] | Callable[[str], Kit] | None = None,
        tick_s: float = 3600.0,
        breakdown_reason: str = BREAKDOWN_REASON,
    ) -> None:
        self.monitor_config = monitor or MonitorConfig()
        self.planning = planning or PlanningConfig()
        self.stock = stock
        self._kits = kits
        self.tick_s = tick_s
        self.breakdown_reason = breakdown_reason
        self.monitors: dict[str, EquipmentMonitor] = {}
        self._order_equipment: dict[str, str] = {}
        self._proposed: dict[str, str] = {}  # equipment -> order id proposed for its current warning
        self.windows: list[MaintenanceWindow] = []
        self.proposals: list[Proposal] = []

    def monitor(self, equipment_id: str) -> EquipmentMonitor:
        found = self.monitors.get(equipment_id)
        if found is None:
            found = self.monitors[equipment_id] = EquipmentMonitor(equipment_id, self.monitor_config)
        return found

    def kit(self, equipment_id: str) -> Kit:
        if self._kits is None:
            return ()
        if callable(self._kits):
            return self._kits(equipment_id)
        return self._kits.get(equipment_id, ())

    # ---- facts -------------------------------------------------------------------------------------
    def telemetry(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        self.monitor(equipment_id).add_chunk(start_at, interval_s, arrays)

    def ingest_rows(self, rows: pd.DataFrame) -> int:
        """Long-format telemetry (``equipment_id, tag, value, measured_at`` — e.g. ``dwd_telemetry`` or the
        MQTT landing), pivoted to one row per instant and fed per machine in time order; returns samples."""
        needed = {"equipment_id", "tag", "value", "measured_at"}
        if not needed <= set(rows.columns):
            raise InvalidInput(
                f"telemetry rows need columns {sorted(needed)}", missing=sorted(needed - set(rows.columns))
            )
        fed = 0
        channels = list(self.monitor_config.channels)
        for equipment_id, part in rows.dropna(subset=["equipment_id"]).groupby("equipment_id", sort=True):
            wide = part.pivot_table(
                index="measured_at", columns="tag", values="value", aggfunc="mean"
            ).sort_index()
            wide = wide.reindex(columns=channels).dropna()
            if len(wide) < 2:
                continue
            stamps = pd.to_datetime(wide.index, utc=True)
            steps = np.diff(stamps.asi8) / 1e9
            interval_s = float(np.median(steps))
            breaks = np.flatnonzero(steps > 1.5 * interval_s) + 1  # gaps: feed each regular run on its own
            for block in np.split(np.arange(len(wide)), breaks):
                self.monitor(str(equipment_id)).add_chunk(
                    stamps[block[0]].to_pydatetime(),
                    interval_s,
                    {c: wide[c].to_numpy(dtype=float)[block] for c in channels},
                )
            fed += len(wide)
        return fed

    def observe(self, command: c.Command) -> None:
        """A command as the MES received it (the twin's shop floor)."""
        at = command.at
        if at is None:
            return
        if isinstance(command, c.CreateMaintenanceOrder):
            self._order_equipment[command.maintenance_order_id] = command.equipment_id
        elif isinstance(command, c.CompleteMaintenance):
            self._maintained(self._order_equipment.get(command.maintenance_order_id), at)
        elif isinstance(command, c.StartDowntime) and command.reason_code == self.breakdown_reason:
            self.monitor(command.equipment_id).failed(ensure_utc(at))

    def observe_event(self, type: str, payload: Mapping[str, Any], occurred_at: datetime) -> None:
        """An MES event (``MaintenanceOrderCreated``, ``MaintenanceCompleted``, ``DowntimeStarted``)."""
        if type == "MaintenanceOrderCreated":
            self._order_equipment[payload["maintenance_order_id"]] = payload["equipment_id"]
        elif type == "MaintenanceCompleted":
            equipment = payload.get("equipment_id") or self._order_equipment.get(
                payload["maintenance_order_id"]
            )
            self._maintained(equipment, occurred_at)
        elif type == "DowntimeStarted" and payload.get("reason_code") == self.breakdown_reason:
            self.monitor(payload["equipment_id"]).failed(ensure_utc(occurred_at))

    def _maintained(self, equipment_id: str | None, at: datetime) -> None:
        if equipment_id is None:
            return
        self.monitor(equipment_id).maintenance_done(ensure_utc(at))
        self._proposed.pop(equipment_id, None)

    # ---- decisions ---------------------------------------------------------------------------------
    def fleet_failure_ratios(self) -> list[float]:
        return [r for m in self.monitors.values() for r in m.failure_scores]

    def statuses(self) -> list[HealthStatus]:
        ratios = self.fleet_failure_ratios()
        return [self.monitors[e].status(ratios) for e in sorted(self.monitors)]

    def tick(self, now_at: datetime) -> list[Proposal]:
        """A proposal for every machine with a new warning."""
        now = ensure_utc(now_at)
        out: list[Proposal] = []
        for status in self.statuses():
            if not status.warning or status.equipment_id in self._proposed:
                continue
            proposal, window = plan_predictive_maintenance(
                status, now, config=self.planning, stock=self.stock, kit=self.kit(status.equipment_id)
            )
            if self.stock is not None:
                for part_id, qty in self.kit(status.equipment_id):
                    self.stock.take(part_id, qty, window.start, window.maintenance_order_id)
            self._proposed[status.equipment_id] = window.maintenance_order_id
            self.windows.append(window)
            out.append(proposal)
        self.proposals += out
        return out

    def open_windows(self, now: datetime) -> list[tuple[str, datetime, datetime]]:
        """Planned maintenance windows not over yet, for the scheduler."""
        return [w.as_tuple() for w in self.windows if w.end > ensure_utc(now)]
