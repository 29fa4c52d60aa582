"""LiveMetrics: the "now" of the plant, folded incrementally from ODS rows as they land.

Per machine it keeps the running shift's ISO 22400 time buckets — time in EXECUTE (actual production time),
time IDLE for lack of work, planned and unplanned downtime (closed, plus the open one up to *now*) — and
its counts (operations, good, scrap, ideal output time). :meth:`LiveMetrics.snapshot` turns that into
availability, performance, quality and OEE so far, with the warehouse's definitions. One simplification:
an operation's ideal output time counts in the shift it completes in (the warehouse shares it out by
EXECUTE time); once the shift is built, its ADS row replaces the live one (:func:`combined.oee_today`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from plantloop.dataplatform.live.shifts import ShiftInstance, shift_at
from plantloop.mes.masterdata.schema import PlantDefinition

_RELEVANT = frozenset({"EquipmentStateChanged", "OperationCompleted", "DowntimeStarted", "DowntimeEnded"})
#: The payload fields the fold reads, with their SQL types (the tail extracts them in DuckDB).
FIELDS = {
    "equipment_id": "VARCHAR",
    "to_state": "VARCHAR",
    "qty_good": "BIGINT",
    "qty_scrap": "BIGINT",
    "material_id": "VARCHAR",
    "seq": "INTEGER",
    "reason_code": "VARCHAR",
    "planned": "BOOLEAN",
    "started_at": "TIMESTAMPTZ",
}
EXECUTE, IDLE = "execute", "idle"


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


@dataclass
class EquipmentLive:
    equipment_id: str
    state: str = "unknown"
    state_since: datetime | None = None
    open_downtime_since: datetime | None = None
    open_downtime_reason: str | None = None
    open_downtime_planned: bool = False
    shift: ShiftInstance | None = None
    operations: int = 0
    qty_good: int = 0
    qty_scrap: int = 0
    ideal_output_time_s: float = 0.0
    execute_s: float = 0.0
    idle_s: float = 0.0
    planned_downtime_s: float = 0.0
    unplanned_downtime_s: float = 0.0
    last_event_at: datetime | None = None

    def reset_for(self, shift: ShiftInstance | None) -> None:
        self.shift = shift
        self.operations = self.qty_good = self.qty_scrap = 0
        self.ideal_output_time_s = self.execute_s = self.idle_s = 0.0
        self.planned_downtime_s = self.unplanned_downtime_s = 0.0

    def _in_shift(self, start: datetime | None, end: datetime) -> float:
        """Seconds of [start, end) inside the running shift."""
        if start is None or self.shift is None:
            return 0.0
        return _seconds(max(start, self.shift.start_at), min(end, self.shift.end_at))

    def close_state(self, at: datetime) -> None:
        """Book the time since the last state change into its bucket (EXECUTE or IDLE)."""
        seconds = self._in_shift(self.state_since, at)
        if self.state == EXECUTE:
            self.execute_s += seconds
        elif self.state == IDLE:
            self.idle_s += seconds


@dataclass
class LiveMetrics:
    plant: PlantDefinition
    equipment: dict[str, EquipmentLive] = field(default_factory=dict)
    folded: int = 0
    last_ingested_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cycles: dict[tuple[str, int, str], float] = field(default_factory=dict, repr=False)

    def _ideal_cycle_s(self, material_id: str, seq: int, equipment_id: str) -> float:
        key = (material_id, seq, equipment_id)
        if key not in self._cycles:
            routing = self.plant.routings_by_material.get(material_id)
            eq = self.plant.equipment.get(equipment_id)
            cycle = 0.0
            if routing is not None and eq is not None:
                cycle = next(
                    (op.run_time_s_per_unit / eq.speed_factor for op in routing.operations if op.seq == seq),
                    0.0,
                )
            self._cycles[key] = cycle
        return self._cycles[key]

    def _eq(self, equipment_id: str, at: datetime) -> EquipmentLive:
        live = self.equipment.get(equipment_id)
        if live is None:
            live = self.equipment[equipment_id] = EquipmentLive(equipment_id)
        if live.shift is not None and live.shift.start_at <= at < live.shift.end_at:
            return live
        shift = shift_at(self.plant, at)
        if shift is not None and (live.shift is None or shift.start_at > live.shift.start_at):
            if live.shift is not None:
                live.close_state(live.shift.end_at)  # finish the old shift's buckets
            live.reset_for(shift)
        return live

    def fold_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Fold ODS rows (``type``, ``occurred_at``, ``payload`` JSON text, ``ingested_at``) in order."""
        n = 0
        with self._lock:
            for row in rows:
                n += 1
                ingested = row.get("ingested_at")
                if ingested is not None and (
                    self.last_ingested_at is None or ingested > self.last_ingested_at
                ):
                    self.last_ingested_at = ingested
                if row["type"] not in _RELEVANT:
                    continue
                payload = row["payload"]
                body = json.loads(payload) if isinstance(payload, str | bytes) else dict(payload)
                self._fold_one(row["type"], row["occurred_at"], body)
            self.folded += n
        return n

    def fold_arrow(self, table: pa.Table) -> int:
        """Fold a slice with ``type``, ``occurred_at``, ``ingested_at`` and either the ``payload`` JSON or
        the :data:`FIELDS` as columns (what :class:`OdsTail` reads)."""
        if "payload" in table.column_names:
            return self.fold_rows(table.to_pylist())
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        types, at, ingested = columns["type"], columns["occurred_at"], columns["ingested_at"]
        fields = [(name, columns[name]) for name in FIELDS if name in columns]
        with self._lock:
            newest = max((i for i in ingested if i is not None), default=None)
            if newest is not None and (not self.last_ingested_at or newest > self.last_ingested_at):
                self.last_ingested_at = newest
            for i, type_ in enumerate(types):
                if type_ in _RELEVANT:
                    self._fold_one(type_, at[i], {name: values[i] for name, values in fields})
            self.folded += len(types)
        return len(types)

    def _fold_one(self, type_: str, at: datetime, body: dict[str, Any]) -> None:
        equipment_id = body.get("equipment_id")
        if not equipment_id:
            return
        live = self._eq(equipment_id, at)
        live.last_event_at = at if live.last_event_at is None else max(live.last_event_at, at)
        if type_ == "EquipmentStateChanged":
            if live.state_since is None or at >= live.state_since:
                live.close_state(at)
                live.state, live.state_since = body["to_state"], at
        elif type_ == "OperationCompleted":
            good, scrap = int(body.get("qty_good") or 0), int(body.get("qty_scrap") or 0)
            live.operations += 1
            live.qty_good += good
            live.qty_scrap += scrap
            cycle = self._ideal_cycle_s(body.get("material_id", ""), int(body.get("seq") or 0), equipment_id)
            live.ideal_output_time_s += cycle * (good + scrap)
        elif type_ == "DowntimeStarted":
            live.open_downtime_since = at
            live.open_downtime_reason = body.get("reason_code")
            live.open_downtime_planned = bool(body.get("planned"))
        elif type_ == "DowntimeEnded":
            started = body.get("started_at") or at
            if isinstance(started, str):
                started = datetime.fromisoformat(started)
            seconds = live._in_shift(started, at)
            if body.get("planned"):
                live.planned_downtime_s += seconds
            else:
                live.unplanned_downtime_s += seconds
            live.open_downtime_since = None
            live.open_downtime_reason = None

    def snapshot(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """ISO 22400 so far in the running shift, per machine (open state and downtime up to ``now``)."""
        now = now or datetime.now(UTC)
        out = []
        with self._lock:
            for eq_id in sorted(self.equipment):
                live = self.equipment[eq_id]
                shift = live.shift
                if shift is None:
                    continue
                until = min(now, shift.end_at)
                elapsed = _seconds(shift.start_at, until)
                execute, idle = live.execute_s, live.idle_s
                open_state = live._in_shift(live.state_since, until)
                execute += open_state if live.state == EXECUTE else 0.0
                idle += open_state if live.state == IDLE else 0.0
                planned_dt, unplanned_dt = live.planned_downtime_s, live.unplanned_downtime_s
                if live.open_downtime_since is not None:
                    open_s = live._in_shift(live.open_downtime_since, until)
                    if live.open_downtime_planned:
                        planned_dt += open_s
                    else:
                        unplanned_dt += open_s
                planned_busy = max(elapsed - planned_dt - idle, 0.0)
                total = live.qty_good + live.qty_scrap
                quality = live.qty_good / total if total else None
                oee = None
                if planned_busy > 0:  # ideal output time / PBT x quality (1 while nothing completed)
                    oee = live.ideal_output_time_s / planned_busy * (1.0 if quality is None else quality)
                out.append(
                    {
                        "equipment_id": eq_id,
                        "line_id": self.plant.line_of.get(eq_id),
                        "state": live.state,
                        "state_since": live.state_since,
                        "shift_date": shift.shift_date,
                        "shift_id": shift.shift_id,
                        "shift_start_at": shift.start_at,
                        "planned_time_s": planned_busy,
                        "run_time_s": execute,
                        "idle_time_s": idle,
                        "unplanned_downtime_s": unplanned_dt,
                        "ideal_output_time_s": live.ideal_output_time_s,
                        "qty_good": live.qty_good,
                        "qty_scrap": live.qty_scrap,
                        "operations": live.operations,
                        "availability": execute / planned_busy if planned_busy > 0 else None,
                        "performance": live.ideal_output_time_s / execute if execute > 0 else None,
                        "quality_rate": quality,
                        "oee": oee,
                        "source": "live",
                    }
                )
        return out
