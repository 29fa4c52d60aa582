"""Predictive maintenance on the running plant: landed telemetry and MES events feed the watcher, and each
new warning becomes a maintenance-order decision (approved by configuration, then sent to the MES).

    ods_mqtt__telemetry / ods_opcua__telemetry ─┐
                                                ├─ HealthFeed.poll ─ PredictiveMaintenanceWatcher ─ tick
    ods_mes__events (downtime, maintenance) ────┘        │                                            │
                                     equipment health API / maintenance page        DecisionService.propose

The feed follows each ODS table with a :class:`~plantloop.dataplatform.live.tail.RowidCursor` (its position
is kept in memory: after a restart the watcher learns its baselines again from the telemetry that lands
next). The watcher's planned windows
are what the scheduler plans around (``open_windows``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import orjson

from plantloop.dataplatform.live.tail import QueryArrow, RowidCursor
from plantloop.kernel.clock import Clock
from plantloop.optimize.maintenance.monitor import HealthStatus
from plantloop.optimize.maintenance.watch import PredictiveMaintenanceWatcher
from plantloop.optimize.proposals import Proposal

log = logging.getLogger(__name__)

TELEMETRY_TABLES = ("ods_mqtt__telemetry", "ods_opcua__telemetry")
EVENTS_TABLE = "ods_mes__events"
EVENT_TYPES = ("MaintenanceOrderCreated", "MaintenanceCompleted", "DowntimeStarted")
#: Rows read per table and poll (a backlog is worked off over several polls).
BATCH_ROWS = 200_000


class HealthFeed:
    def __init__(
        self,
        query_arrow: QueryArrow,
        equipment_paths: dict[str, str],
        clock: Clock,
        propose: Callable[[Proposal], object],
        watcher: PredictiveMaintenanceWatcher | None = None,
    ) -> None:
        self.events = RowidCursor(query_arrow, EVENTS_TABLE)
        self.telemetry = [RowidCursor(query_arrow, table) for table in TELEMETRY_TABLES]
        self.equipment_of = {path: eq for eq, path in equipment_paths.items()}
        self.clock = clock
        self.propose = propose
        self.watcher = watcher or PredictiveMaintenanceWatcher()
        self.samples = 0
        self.events_seen = 0
        self.proposed = 0
        self.failed_proposals = 0
        self._lock = threading.Lock()

    # what the maintenance page and the equipment-health API ask
    def status(self, equipment_id: str) -> HealthStatus | None:
        with self._lock:
            monitor = self.watcher.monitors.get(equipment_id)
            return monitor.status(self.watcher.fleet_failure_ratios()) if monitor is not None else None

    def statuses(self) -> list[HealthStatus]:
        with self._lock:
            return self.watcher.statuses()

    def poll(self) -> int:
        """Feed what landed since the last poll, then turn new warnings into proposals; returns rows read."""
        read = 0
        with self._lock:
            kinds = ", ".join(f"'{t}'" for t in EVENT_TYPES)
            events = self.events.read("type, payload, occurred_at", f"AND type IN ({kinds})", BATCH_ROWS)
            for row in events.to_pylist() if events is not None else ():
                payload = row["payload"]
                if isinstance(payload, str):
                    payload = orjson.loads(payload)
                self.watcher.observe_event(row["type"], payload, row["occurred_at"])
                self.events_seen += 1
                read += 1
            for cursor in self.telemetry:
                data = cursor.read(
                    "equipment_path, payload->>'tag' AS tag, TRY_CAST(payload->>'value' AS DOUBLE) AS value, "
                    "occurred_at AS measured_at",
                    limit=BATCH_ROWS,
                )
                if data is None:
                    continue
                read += data.num_rows
                frame = data.drop_columns(["_rowid"]).to_pandas()
                frame["equipment_id"] = frame.pop("equipment_path").map(self.equipment_of)
                self.samples += self.watcher.ingest_rows(frame.dropna(subset=["value"]))
            proposals = self.watcher.tick(self.clock.now())
        for proposal in proposals:
            try:
                self.propose(proposal)
                self.proposed += 1
            except Exception:  # recorded and shown; the warning stays proposed in the watcher
                self.failed_proposals += 1
                log.exception("proposing %s for %s failed", proposal.kind, proposal.subject)
        return read

    def run(self, stop: threading.Event, *, interval_s: float = 5.0) -> None:
        while not stop.is_set():
            if self.poll() < BATCH_ROWS:
                stop.wait(interval_s)

    def stats(self) -> dict[str, int]:
        return {
            "samples": self.samples,
            "events": self.events_seen,
            "machines": len(self.watcher.monitors),
            "warnings": sum(1 for s in self.statuses() if s.warning),
            "proposed": self.proposed,
            "failed_proposals": self.failed_proposals,
        }
