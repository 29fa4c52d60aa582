"""Predictive maintenance on the running plant: landed telemetry and MES events feed the watcher, and each
new warning becomes a maintenance-order decision (approved by configuration, then sent to the MES).

    ods_mqtt__telemetry / ods_opcua__telemetry ─┐
                                                ├─ HealthFeed.poll ─ PredictiveMaintenanceWatcher ─ tick
    ods_mes__events (downtime, maintenance) ────┘        │                                            │
                                     equipment health API / maintenance page        DecisionService.propose

The feed follows each ODS table by DuckDB ``rowid`` (what it has read is kept in memory: after a restart
the watcher learns its baselines again from the telemetry that lands next). The watcher's planned windows
are what the scheduler plans around (``open_windows``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pyarrow as pa

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

QueryArrow = Callable[[str, Sequence[Any] | None], pa.Table]


class HealthFeed:
    def __init__(
        self,
        query_arrow: QueryArrow,
        tables: Callable[[], Sequence[str]],
        equipment_paths: dict[str, str],
        clock: Clock,
        propose: Callable[[Proposal], object],
        watcher: PredictiveMaintenanceWatcher | None = None,
    ) -> None:
        self.query_arrow = query_arrow
        self.tables = tables
        self.equipment_of = {path: eq for eq, path in equipment_paths.items()}
        self.clock = clock
        self.propose = propose
        self.watcher = watcher or PredictiveMaintenanceWatcher()
        self.positions: dict[str, int] = {}
        self.samples = 0
        self.events = 0
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

    def _new_rows(self, table: str, columns: str, where: str = "") -> pa.Table:
        position = self.positions.get(table, -1)
        data = self.query_arrow(
            f"SELECT rowid AS _rowid, {columns} FROM {table} WHERE rowid > ? {where} "
            f"ORDER BY rowid LIMIT {BATCH_ROWS}",
            [position],
        )
        if data.num_rows:
            self.positions[table] = int(data.column("_rowid")[-1].as_py())
        return data

    def poll(self) -> int:
        """Feed what landed since the last poll, then turn new warnings into proposals; returns rows read."""
        present = set(self.tables())
        read = 0
        with self._lock:
            if EVENTS_TABLE in present:
                kinds = ", ".join(f"'{t}'" for t in EVENT_TYPES)
                events = self._new_rows(EVENTS_TABLE, "type, payload, occurred_at", f"AND type IN ({kinds})")
                for row in events.to_pylist():
                    payload = row["payload"]
                    if isinstance(payload, str):
                        payload = orjson.loads(payload)
                    self.watcher.observe_event(row["type"], payload, row["occurred_at"])
                self.events += events.num_rows
                read += events.num_rows
            for table in TELEMETRY_TABLES:
                if table not in present:
                    continue
                data = self._new_rows(
                    table,
                    "equipment_path, payload->>'tag' AS tag, TRY_CAST(payload->>'value' AS DOUBLE) AS value, "
                    "occurred_at AS measured_at",
                )
                read += data.num_rows
                if not data.num_rows:
                    continue
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
            "events": self.events,
            "machines": len(self.watcher.monitors),
            "warnings": sum(1 for s in self.statuses() if s.warning),
            "proposed": self.proposed,
            "failed_proposals": self.failed_proposals,
        }
