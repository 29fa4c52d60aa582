"""The plant as the big screen shows it: folded from MES events as they happen, completed from the MES
read side, and turned into one JSON-able snapshot (filtered per viewer by row scope).

What is folded here (event by event, cheap): the running shift's OEE counters per equipment (the data
platform's :class:`~plantloop.dataplatform.live.metrics.LiveMetrics`, the same fold the live layer runs),
finished output per line and shift date (completions of a routing's last operation), defects per code, and
the latest events. What is read on demand (authoritative, a few small queries): equipment states and open
downtimes, work orders in progress and the plan of the day.

OEE of a line or of the plant is re-aggregated from its equipment's components (ISO 22400: sum the times
and counts, then divide), never averaged from ratios.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.live.shifts import shift_at
from plantloop.kernel.envelope import EventEnvelope
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.work_order import WorkOrder, WorkOrderStatus
from plantloop.mes.masterdata.schema import PlantDefinition

Snapshot = dict[str, Any]

#: Events that change what the big screen shows through the read side (orders, plan, equipment state).
ORDER_EVENTS = frozenset(
    {
        "WorkOrderCreated",
        "WorkOrderReleased",
        "WorkOrderChanged",
        "WorkOrderStarted",
        "WorkOrderCompleted",
        "WorkOrderCancelled",
        "WorkOrderHeld",
        "WorkOrderUnheld",
        "OperationStarted",
        "OperationCompleted",
        "OperationCancelled",
    }
)
#: Events that change the plan of the day.
PLAN_EVENTS = frozenset({"WorkOrderCreated", "WorkOrderChanged", "WorkOrderCancelled", "WorkOrderCompleted"})


_COMPONENTS = ("planned_time_s", "run_time_s", "ideal_output_time_s", "qty_good", "qty_scrap")


def components(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """The summed OEE components of ``rows`` (what a coarser grain re-aggregates from)."""
    out = dict.fromkeys(_COMPONENTS, 0.0)
    for r in rows:
        for key in _COMPONENTS:
            out[key] += float(r.get(key) or 0.0)
    return out


def oee_of(rows: Iterable[dict[str, Any]]) -> dict[str, float | None]:
    """Availability, performance, quality and OEE of a group, from summed components."""
    planned = run = ideal = 0.0
    good = scrap = 0
    for r in rows:
        planned += float(r.get("planned_time_s") or 0.0)
        run += float(r.get("run_time_s") or 0.0)
        ideal += float(r.get("ideal_output_time_s") or 0.0)
        good += int(r.get("qty_good") or 0)
        scrap += int(r.get("qty_scrap") or 0)
    availability = run / planned if planned > 0 else None
    performance = min(ideal / run, 1.0) if run > 0 else None
    quality = good / (good + scrap) if good + scrap > 0 else None
    oee = None
    if availability is not None:
        oee = availability * (performance or 0.0) * (quality if quality is not None else 1.0)
    return {"availability": availability, "performance": performance, "quality": quality, "oee": oee}


class PlantView:
    """Thread-safe fold of MES events plus the read-side completion into a big-screen snapshot."""

    def __init__(self, plant: PlantDefinition, *, recent: int = 30) -> None:
        self.plant = plant
        self.live = LiveMetrics(plant)
        self.tz = ZoneInfo(plant.site.timezone)
        self._lock = threading.Lock()
        self.output: Counter[tuple[date, str]] = Counter()
        self.defects: Counter[tuple[date, str, str]] = Counter()
        self.recent: deque[dict[str, Any]] = deque(maxlen=recent)
        self.last_event_at: datetime | None = None
        self.last_seq = 0
        self._final_seq = {r.material_id: r.operations[-1].seq for r in plant.routings}
        self._final_line = {
            r.material_id: plant.line_of.get(r.operations[-1].work_center_ids[0]) for r in plant.routings
        }
        #: Orders completed within the folded window: (due shift date, line, qty) — part of their day's plan.
        self.completed_due: dict[str, tuple[date, str, int]] = {}

    # -- folding -----------------------------------------------------------------------------------
    def fold(self, seq: int, env: EventEnvelope) -> None:
        """Fold one event (idempotent by ``seq``: an event at or below the last one is ignored)."""
        with self._lock:
            if seq <= self.last_seq:
                return
            self.last_seq = seq
            at = env.occurred_at
            self.last_event_at = at if self.last_event_at is None else max(self.last_event_at, at)
            payload: dict[str, Any] = env.payload if isinstance(env.payload, dict) else {}
            day = self.shift_date(at)
            if env.type == "OperationCompleted":
                line = self.plant.line_of.get(str(payload.get("work_center_id")))
                if line and self._final_seq.get(str(payload.get("material_id"))) == payload.get("seq"):
                    self.output[(day, line)] += int(payload.get("qty_good") or 0)
                if payload.get("qty_scrap") and line:
                    code = str(payload.get("scrap_defect_code") or "UNSPECIFIED")
                    self.defects[(day, line, code)] += int(payload["qty_scrap"])
            elif env.type == "WorkOrderCompleted" and payload.get("due_at"):
                line = self._final_line.get(str(payload.get("material_id")))
                due = self.shift_date(datetime.fromisoformat(str(payload["due_at"])))
                if line:
                    self.completed_due[str(payload["work_order_id"])] = (due, line, int(payload["qty"]))
            elif env.type == "InspectionRecorded" and payload.get("qty_defective"):
                line = self.plant.line_of.get(str(payload.get("equipment_id")))
                code = str(payload.get("defect_code") or "UNSPECIFIED")
                self.defects[(day, line or "", code)] += int(payload["qty_defective"])
            self.recent.appendleft(
                {
                    "seq": seq,
                    "at": at.isoformat(),
                    "type": env.type,
                    "subject": env.subject,
                    "line_id": self._line_of_event(env, payload),
                }
            )
        self.live.fold_rows([{"type": env.type, "occurred_at": at, "payload": payload}])

    def _line_of_event(self, env: EventEnvelope, payload: dict[str, Any]) -> str | None:
        if env.equipment_path:
            parts = env.equipment_path.split("/")
            if len(parts) >= 4 and parts[3] in self.plant.lines:
                return parts[3]
        for key in ("equipment_id", "work_center_id"):
            line = self.plant.line_of.get(str(payload.get(key)))
            if line:
                return line
        return None

    def shift_date(self, at: datetime) -> date:
        shift = shift_at(self.plant, at)
        return shift.shift_date if shift is not None else at.astimezone(self.tz).date()

    def now(self, clock_now: datetime) -> datetime:
        """Plant time: the clock, unless the event stream runs ahead of it (an accelerated simulation)."""
        last = self.last_event_at
        return last if last is not None and last > clock_now else clock_now

    # -- the snapshot ------------------------------------------------------------------------------
    def snapshot(
        self,
        now: datetime,
        equipment: Sequence[Equipment],
        open_orders: Sequence[WorkOrder],
        plan: dict[str, int],
        alerts: Sequence[dict[str, Any]] = (),
    ) -> Snapshot:
        """The whole plant at ``now``: ``plan`` is the quantity due today per line (from the read side)."""
        now = now.astimezone(UTC)
        shift = shift_at(self.plant, now)
        today = self.shift_date(now)
        live_rows = {r["equipment_id"]: r for r in self.live.snapshot(now)}
        if shift is not None:
            live_rows = {k: r for k, r in live_rows.items() if r["shift_start_at"] == shift.start_at}
        states = {e.id: e for e in equipment}
        eq_out: list[dict[str, Any]] = []
        for eq_id, line_id in self.plant.line_of.items():
            if eq_id not in self.plant.equipment:
                continue
            row = live_rows.get(eq_id, {})
            state = states.get(eq_id)
            eq_out.append(
                {
                    "equipment_id": eq_id,
                    "name": self.plant.equipment[eq_id].name,
                    "line_id": line_id,
                    "work_center_id": self.plant.work_center_of[eq_id],
                    "state": state.state.value if state else "unknown",
                    "downtime_reason": state.downtime_reason_code if state else None,
                    "qty_good": int(row.get("qty_good") or 0),
                    "qty_scrap": int(row.get("qty_scrap") or 0),
                    **oee_of([row] if row else []),
                }
            )
        with self._lock:
            output = {line: qty for (day, line), qty in self.output.items() if day == today}
            defects = [(line, code, qty) for (day, line, code), qty in self.defects.items() if day == today]
            recent = list(self.recent)
        lines_out = []
        for line_id, line in self.plant.lines.items():
            mine = [e for e in eq_out if e["line_id"] == line_id]
            rows = [live_rows[e["equipment_id"]] for e in mine if e["equipment_id"] in live_rows]
            lines_out.append(
                {
                    "line_id": line_id,
                    "name": line.name,
                    "output_qty": output.get(line_id, 0),
                    "plan_qty": plan.get(line_id, 0),
                    "qty_good": sum(int(r.get("qty_good") or 0) for r in rows),
                    "qty_scrap": sum(int(r.get("qty_scrap") or 0) for r in rows),
                    "equipment_down": sum(1 for e in mine if e["downtime_reason"]),
                    "components": components(rows),
                    **oee_of(rows),
                }
            )
        down = {e.id for e in equipment if e.downtime_reason_code}
        # An alert about a machine that is down is the same alarm: shown once, with the alert's state.
        linked = {a["target"]: a for a in alerts if a.get("target") in down}
        alarms = [
            {
                "kind": "downtime",
                "alert_id": linked[e.id]["id"] if e.id in linked else None,
                "state": linked[e.id]["state"] if e.id in linked else "open",
                "id": f"downtime:{e.id}",
                "target": e.id,
                "line_id": self.plant.line_of.get(e.id),
                "reason": e.downtime_reason_code,
                "planned": e.downtime_planned,
                "since": e.downtime_started_at.isoformat() if e.downtime_started_at else None,
                "severity": "info" if e.downtime_planned else "critical",
            }
            for e in equipment
            if e.downtime_reason_code
        ] + [dict(a) for a in alerts if a.get("target") not in linked]
        return {
            "as_of": now.isoformat(),
            "shift": None
            if shift is None
            else {
                "date": shift.shift_date.isoformat(),
                "id": shift.shift_id,
                "start_at": shift.start_at.isoformat(),
                "end_at": shift.end_at.isoformat(),
            },
            "plant": oee_of(live_rows.values()),
            "lines": lines_out,
            "equipment": eq_out,
            "alarms": alarms,
            "orders": [self._order(wo, now) for wo in open_orders],
            "defects": [{"line_id": line, "code": code, "qty": qty} for line, code, qty in defects],
            "events": recent,
            "last_seq": self.last_seq,
        }

    def _order(self, wo: WorkOrder, now: datetime) -> dict[str, Any]:
        ops = wo.operations
        done = sum(1 for o in ops if o.status.value == "completed")
        final_wc = ops[-1].work_center_id if ops else None
        return {
            "work_order_id": wo.id,
            "material_id": wo.material_id,
            "line_id": self.plant.line_of.get(final_wc or ""),
            "status": wo.status.value,
            "held": wo.held,
            "qty": wo.qty,
            "qty_good": ops[-1].qty_good if ops else 0,
            "operations_done": done,
            "operations": len(ops),
            "progress": done / len(ops) if ops else 0.0,
            "due_at": wo.due_at.isoformat(),
            "late": wo.due_at < now and wo.status is not WorkOrderStatus.COMPLETED,
        }

    def plan_by_line(self, open_orders: Iterable[WorkOrder], day: date) -> dict[str, int]:
        """Quantity due on shift date ``day`` per line (the line of each order's last operation): the open
        orders from the read side plus the orders completed within the folded window."""
        plan: Counter[str] = Counter()
        seen: set[str] = set()
        for wo in open_orders:
            seen.add(wo.id)
            if wo.status.value == "cancelled" or not wo.operations or self.shift_date(wo.due_at) != day:
                continue
            line = self.plant.line_of.get(wo.operations[-1].work_center_id)
            if line:
                plan[line] += wo.qty
        with self._lock:
            done = list(self.completed_due.items())
        for wo_id, (due, line, qty) in done:
            if due == day and wo_id not in seen:
                plan[line] += qty
        return dict(plan)


def for_scope(snapshot: Snapshot, lines: frozenset[str] | None) -> Snapshot:
    """The snapshot as a viewer with row scope ``lines`` may see it (plant OEE recomputed over them)."""
    if lines is None:
        return snapshot

    def keep(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [i for i in items if i.get("line_id") is None or i.get("line_id") in lines]

    out = dict(snapshot)
    for key in ("lines", "equipment", "alarms", "orders", "defects", "events"):
        out[key] = keep(snapshot.get(key, []))
    out["lines"] = [i for i in out["lines"] if i["line_id"] in lines]
    # The plant total would reveal other lines: the scoped viewer's "plant" is its own lines.
    out["plant"] = oee_of(line["components"] for line in out["lines"])
    return out
