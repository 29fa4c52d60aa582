"""Predictive maintenance on the running plant: landed telemetry and MES events feed the watcher, and each
new warning becomes a maintenance-order decision (approved by configuration, then sent to the MES).

    ods_mqtt__telemetry / ods_opcua__telemetry ─┐
                                                ├─ HealthFeed.poll ─ PredictiveMaintenanceWatcher ─ tick
    ods_mes__events (downtime, maintenance) ────┘        │                                            │
                                     equipment health API / maintenance page        DecisionService.propose

The feed follows each ODS table with a :class:`~plantloop.dataplatform.live.tail.RowidCursor` and hands the
watcher telemetry and events **in time order**: a maintenance completed resets a machine's baselines, so the
samples before it must be scored before it and those after it after it. Each poll reads a batch of every
table; when a batch is full (a backlog: the first start on an ODS with history, or a restart — the cursors'
positions are kept in memory, so a new process reads the landed history again), every table is read only up
to the earliest time that all of them have reached, and the rest is read by the next poll. While it catches
up the feed proposes nothing: a warning of the past may have been handled by an order that comes later in
the history, and an order the MES already holds marks its machine's warning as proposed
(``MaintenanceOrderCreated``). The watcher's planned windows are what the scheduler plans around
(``open_windows``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pandas as pd

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


@dataclass
class _Batch:
    """One read of a cursor: its rows (in landing order), the cursor's position before the read, whether
    the read was full (more rows are waiting) and the latest time in it."""

    cursor: RowidCursor
    rows: pd.DataFrame
    time_column: str
    start: int
    full: bool
    last_at: pd.Timestamp

    @classmethod
    def read(cls, cursor: RowidCursor, columns: str, where: str, time_column: str) -> _Batch | None:
        start = cursor.position
        data = cursor.read(columns, where, BATCH_ROWS)
        if data is None:
            return None
        rows = data.to_pandas()
        rows[time_column] = pd.to_datetime(rows[time_column], utc=True)
        return cls(cursor, rows, time_column, start, len(rows) >= BATCH_ROWS, rows[time_column].max())

    def until(self, horizon: pd.Timestamp | None) -> pd.DataFrame:
        """The rows before the first one later than ``horizon``; the cursor is set back to the last kept."""
        later = (self.rows[self.time_column] > horizon).to_numpy() if horizon is not None else None
        if later is None or not later.any():
            return self.rows
        cut = int(later.argmax())
        self.cursor.position = int(self.rows["_rowid"].iloc[cut - 1]) if cut else self.start
        return self.rows.iloc[:cut]


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
        #: the last poll found a full batch: history is being read, nothing is proposed
        self.catching_up = False
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
        """Feed what landed since the last poll in time order, then (unless catching up) turn new warnings
        into proposals; returns the rows consumed."""
        with self._lock:
            telemetry = [b for b in map(self._read_telemetry, self.telemetry) if b is not None]
            events = self._read_events()
            full = [b for b in (*telemetry, events) if b is not None and b.full]
            horizon = min(b.last_at for b in full) if full else None
            self.catching_up = bool(full)
            frames = [b.until(horizon) for b in telemetry]
            kept = events.until(horizon) if events is not None else None
            read = sum(len(f) for f in frames) + (len(kept) if kept is not None else 0)
            self._feed_in_time_order(frames, kept)
            proposals = [] if self.catching_up else self.watcher.tick(self.clock.now())
        for proposal in proposals:
            try:
                self.propose(proposal)
                self.proposed += 1
            except Exception:  # recorded and shown; the warning stays proposed in the watcher
                self.failed_proposals += 1
                log.exception("proposing %s for %s failed", proposal.kind, proposal.subject)
        return read

    def _read_telemetry(self, cursor: RowidCursor) -> _Batch | None:
        columns = (
            "equipment_path, payload->>'tag' AS tag, TRY_CAST(payload->>'value' AS DOUBLE) AS value, "
            "occurred_at AS measured_at"
        )
        return _Batch.read(cursor, columns, "", "measured_at")

    def _read_events(self) -> _Batch | None:
        kinds = ", ".join(f"'{t}'" for t in EVENT_TYPES)
        return _Batch.read(self.events, "type, payload, occurred_at", f"AND type IN ({kinds})", "occurred_at")

    def _feed_in_time_order(self, frames: list[pd.DataFrame], events: pd.DataFrame | None) -> None:
        telemetry = pd.concat(frames) if frames else pd.DataFrame(columns=["measured_at"])
        telemetry = telemetry.sort_values("measured_at", kind="stable")
        times = telemetry["measured_at"]
        done = 0
        ordered = events.sort_values("occurred_at", kind="stable").itertuples() if events is not None else ()
        for event in ordered:
            upto = int(times.searchsorted(event.occurred_at, side="left"))
            self._ingest(telemetry.iloc[done:upto])
            done = upto
            self.samples += self.watcher.flush()  # the samples before the event go in before it
            payload = orjson.loads(event.payload) if isinstance(event.payload, str) else event.payload
            self.watcher.observe_event(event.type, payload, event.occurred_at.to_pydatetime())
            self.events_seen += 1
        self._ingest(telemetry.iloc[done:])

    def _ingest(self, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        rows = rows.assign(equipment_id=rows["equipment_path"].map(self.equipment_of))
        rows = rows.drop(columns=["equipment_path", "_rowid"]).dropna(subset=["value", "equipment_id"])
        self.samples += self.watcher.ingest_rows(rows)

    def run(self, stop: threading.Event, *, interval_s: float = 5.0) -> None:
        while not stop.is_set():
            self.poll()
            if not self.catching_up:
                stop.wait(interval_s)

    def stats(self) -> dict[str, int]:
        return {
            "samples": self.samples,
            "rejected": self.watcher.rejected,  # implausible readings dropped (MAX_ABS_READING)
            "events": self.events_seen,
            "machines": len(self.watcher.monitors),
            "warnings": sum(1 for s in self.statuses() if s.warning),
            "proposed": self.proposed,
            "failed_proposals": self.failed_proposals,
        }
