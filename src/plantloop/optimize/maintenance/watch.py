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
from datetime import datetime, timedelta
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

#: A reading beyond this magnitude, in any unit, is transmission garbage, not a machine's state: the
#: watcher drops it (counted in ``rejected``) rather than let one sample wreck a machine's learned modes
#: and baselines; the telemetry API refuses it with a 422.
MAX_ABS_READING = 1e9


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
        self._held: dict[str, pd.DataFrame] = {}  # per machine: the newest instant's rows, not fed yet
        self._interval_s: dict[str, float] = {}  # per machine: its latest sampling interval
        self.proposals: list[Proposal] = []
        #: telemetry rows dropped by :meth:`ingest_rows`: no number, not finite, or beyond ``MAX_ABS_READING``
        self.rejected = 0

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
        MQTT landing), pivoted to one row per instant and fed per machine in time order; returns samples.

        Each machine's newest instant is held back until rows of a later one arrive (its other channels may
        land in the next batch) or :meth:`flush`: rows may come in batches of any size, even one sample."""
        needed = {"equipment_id", "tag", "value", "measured_at"}
        if not needed <= set(rows.columns):
            raise InvalidInput(
                f"telemetry rows need columns {sorted(needed)}", missing=sorted(needed - set(rows.columns))
            )
        rows = rows.dropna(subset=["equipment_id"]).assign(
            measured_at=lambda f: pd.to_datetime(f["measured_at"], utc=True),
            value=lambda f: pd.to_numeric(f["value"], errors="coerce"),
        )
        plausible = rows["value"].abs() <= MAX_ABS_READING  # False for NaN too
        self.rejected += int((~plausible).sum())
        rows = rows[plausible]
        fed = 0
        for equipment_id, part in rows.groupby("equipment_id", sort=True):
            machine = str(equipment_id)
            held = self._held.pop(machine, None)
            part = pd.concat([held, part]) if held is not None else part
            newest = part["measured_at"] == part["measured_at"].max()
            fed += self._feed(machine, part[~newest])
            self._hold(machine, part[newest])
        return fed

    def flush(self) -> int:
        """Feed every machine's held-back instant (before an event that must come after it)."""
        held, self._held = self._held, {}
        return sum(self._feed(machine, part) for machine, part in held.items())

    def _hold(self, equipment_id: str, part: pd.DataFrame) -> None:
        held = self._held.get(equipment_id)
        self._held[equipment_id] = pd.concat([held, part]) if held is not None else part

    def _feed(self, equipment_id: str, part: pd.DataFrame) -> int:
        """Feed complete instants at the batch's sampling interval (a lone instant: the machine's last one;
        held back while there is none yet)."""
        if part.empty:
            return 0
        channels = list(self.monitor_config.channels)
        wide = part.pivot_table(index="measured_at", columns="tag", values="value", aggfunc="mean")
        wide = wide.sort_index().reindex(columns=channels).dropna()
        if wide.empty:
            return 0
        stamps = pd.DatetimeIndex(wide.index)
        # seconds whatever the timestamps' unit (DuckDB and Arrow hand pandas microseconds)
        seconds = (stamps - stamps[0]).total_seconds().to_numpy()
        if len(seconds) > 1:
            interval_s = self._interval_s[equipment_id] = float(np.median(np.diff(seconds)))
        elif equipment_id in self._interval_s:
            interval_s = self._interval_s[equipment_id]
        else:
            self._hold(equipment_id, part)
            return 0
        breaks = np.flatnonzero(np.diff(seconds) > 1.5 * interval_s) + 1  # gaps: feed each regular run alone
        for block in np.split(np.arange(len(wide)), breaks):
            self.monitor(equipment_id).add_chunk(
                stamps[block[0]].to_pydatetime(),
                interval_s,
                {c: wide[c].to_numpy(dtype=float)[block] for c in channels},
            )
        return len(wide)

    def observe(self, command: c.Command) -> None:
        """A command as the MES received it (the twin's shop floor)."""
        at = command.at
        if at is None:
            return
        if isinstance(command, c.CreateMaintenanceOrder):
            self._order_created(
                command.maintenance_order_id,
                command.equipment_id,
                command.kind,
                command.planned_start_at,
                command.planned_duration_s,
            )
        elif isinstance(command, c.CompleteMaintenance):
            self._maintained(self._order_equipment.get(command.maintenance_order_id), at)
        elif isinstance(command, c.StartDowntime) and command.reason_code == self.breakdown_reason:
            self.monitor(command.equipment_id).failed(ensure_utc(at))

    def observe_event(self, type: str, payload: Mapping[str, Any], occurred_at: datetime) -> None:
        """An MES event (``MaintenanceOrderCreated``, ``MaintenanceCompleted``, ``DowntimeStarted``)."""
        if type == "MaintenanceOrderCreated":
            start = payload.get("planned_start_at")
            self._order_created(
                payload["maintenance_order_id"],
                payload["equipment_id"],
                payload.get("kind"),
                pd.Timestamp(start).to_pydatetime() if start is not None else None,
                float(payload.get("planned_duration_s") or 0.0),
            )
        elif type == "MaintenanceCompleted":
            equipment = payload.get("equipment_id") or self._order_equipment.get(
                payload["maintenance_order_id"]
            )
            self._maintained(equipment, occurred_at)
        elif type == "DowntimeStarted" and payload.get("reason_code") == self.breakdown_reason:
            self.monitor(payload["equipment_id"]).failed(ensure_utc(occurred_at))

    def _order_created(
        self, order_id: str, equipment_id: str, kind: str | None, start: datetime | None, duration_s: float
    ) -> None:
        """A maintenance order exists. A predictive one stands for its machine's warning (a watcher reading
        the MES's history after a restart learns here what it had proposed) and is planned around."""
        self._order_equipment[order_id] = equipment_id
        if kind != c.MaintenanceKind.PREDICTIVE.value:
            return
        self._proposed.setdefault(equipment_id, order_id)
        if start is not None and all(w.maintenance_order_id != order_id for w in self.windows):
            begin = ensure_utc(start)
            window = MaintenanceWindow(equipment_id, begin, begin + timedelta(seconds=duration_s), order_id)
            self.windows.append(window)

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
