"""ISO 22400 components per machine and shift, computed by hand from the simulator — not from the platform.

Inputs are the simulator's own records: the shop-floor event stream it reported (operation started /
paused / resumed / completed), its downtime records (breakdowns and preventive maintenance, with start and
end), and its operation specs (standard run time, machine speed). The definitions are written out here in
plain Python so that a reader can check them against ISO 22400-2:

- POT  planned operation time: the shift;
- PDOT planned downtime (preventive maintenance) inside the shift;
- idle time for lack of work: no operation on the machine, not down (not planned to be busy);
- PBT  planned busy time = POT − PDOT − idle;
- APT  actual production time: the operation is executing (started or resumed, not paused or completed);
- ADOT unplanned downtime (breakdowns) inside the shift;
- ideal output time: standard cycle (run time per unit / machine speed) × produced units, earned in
  proportion to the operation's executing time inside the shift;
- availability = APT / PBT, performance = ideal output time / APT, quality = good / produced units of the
  operations completed in the shift, OEE = availability × performance × quality.

Every machine is idle before its first reported event (the MES registers machines idle).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from plantloop.dataplatform.warehouse.seeds import shift_instances
from tests.integration.dataplatform.plant_run import PlantRun

Span = tuple[datetime, datetime]


def _overlap_s(a: Span, b: Span) -> float:
    return max((min(a[1], b[1]) - max(a[0], b[0])).total_seconds(), 0.0)


def _total_overlap_s(spans: list[Span], window: Span) -> float:
    return sum(_overlap_s(s, window) for s in spans)


def _union(spans: list[Span]) -> list[Span]:
    merged: list[list[datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


@dataclass
class ShiftTruth:
    equipment_id: str
    shift_start_at: datetime
    calendar_s: float = 0.0
    planned_downtime_s: float = 0.0
    idle_s: float = 0.0
    execute_s: float = 0.0
    unplanned_downtime_s: float = 0.0
    ideal_output_s: float = 0.0
    qty_good: int = 0
    qty_scrap: int = 0
    failures: int = 0
    repair_s: float = 0.0  # whole duration of the breakdowns that ended in the shift

    @property
    def planned_busy_s(self) -> float:
        return max(self.calendar_s - self.planned_downtime_s - self.idle_s, 0.0)

    @property
    def availability(self) -> float | None:
        return self.execute_s / self.planned_busy_s if self.planned_busy_s > 0 else None

    @property
    def performance(self) -> float | None:
        return self.ideal_output_s / self.execute_s if self.execute_s > 0 else None

    @property
    def quality(self) -> float | None:
        produced = self.qty_good + self.qty_scrap
        return self.qty_good / produced if produced else None

    @property
    def oee(self) -> float | None:
        if self.planned_busy_s <= 0:
            return None
        return self.ideal_output_s / self.planned_busy_s * (self.quality if self.quality is not None else 1.0)


def shift_truth(run: PlantRun) -> dict[tuple[str, datetime], ShiftTruth]:
    """Every (machine, shift) of the plant whose shift lies inside the run."""
    plant, sim = run.plant, run.sim
    end = run.start + timedelta(days=sim.config.days)
    at = datetime.fromisoformat
    events = sorted(
        (e for e in sim.shop_floor_events if e["type"].startswith("Operation")),
        key=lambda e: (at(e["occurred_at"]), e["seq"]),
    )
    machine_of: dict[str, str] = {}
    execute: dict[str, list[Span]] = defaultdict(list)  # operation -> executing spans
    busy: dict[str, list[Span]] = defaultdict(list)  # machine -> an operation is on it (running or paused)
    running_since: dict[str, datetime] = {}
    started_at: dict[str, datetime] = {}
    completed: dict[str, tuple[datetime, int, int]] = {}
    for e in events:
        op, when = e["operation_id"], at(e["occurred_at"])
        if e["type"] == "OperationStarted":
            machine_of[op] = e["equipment_id"]
            started_at[op] = running_since[op] = when
        elif e["type"] == "OperationResumed":
            running_since[op] = when
        elif e["type"] in ("OperationPaused", "OperationCompleted"):
            if op in running_since:
                execute[op].append((running_since.pop(op), when))
            if e["type"] == "OperationCompleted":
                completed[op] = (when, int(e["qty_good"]), int(e["qty_scrap"]))
                busy[machine_of[op]].append((started_at[op], when))
    for op, since in running_since.items():  # still running at the end of the run
        execute[op].append((since, end))
    for op, since in started_at.items():  # started, not completed (running or paused) at the end
        if op not in completed:
            busy[machine_of[op]].append((since, end))
    down: dict[str, list[tuple[Span, str]]] = defaultdict(list)
    for interval in sim.plant.records.downtime:
        span = (
            run.start + timedelta(seconds=interval.start_s),
            run.start + timedelta(seconds=interval.end_s),
        )
        down[interval.equipment_id].append((span, interval.kind))
    planned = {r.code: r.planned for r in plant.downtime_reasons}

    out: dict[tuple[str, datetime], ShiftTruth] = {}
    first_day, last_day = run.start.date() - timedelta(days=1), end.date() + timedelta(days=1)
    for day, _shift, _name, _wd, start_text, end_text in shift_instances(plant, first_day, last_day):
        del day
        window = (at(start_text + "+00:00"), at(end_text + "+00:00"))
        if window[0] < run.start or window[1] > end:
            continue
        for equipment_id in plant.equipment:
            t = ShiftTruth(equipment_id, window[0], calendar_s=(window[1] - window[0]).total_seconds())
            spans = down.get(equipment_id, [])
            t.planned_downtime_s = sum(_overlap_s(s, window) for s, k in spans if planned.get(k, False))
            t.unplanned_downtime_s = sum(_overlap_s(s, window) for s, k in spans if not planned.get(k, False))
            ended = [s for s, k in spans if k == "BRK" and window[0] <= s[1] < window[1]]
            t.failures = len(ended)
            t.repair_s = sum((b - a).total_seconds() for a, b in ended)
            occupied = _union(busy.get(equipment_id, []) + [s for s, _ in spans])
            t.idle_s = t.calendar_s - _total_overlap_s(occupied, window)
            for op, machine in machine_of.items():
                if machine != equipment_id:
                    continue
                in_shift = _total_overlap_s(execute[op], window)
                t.execute_s += in_shift
                total = sum((b - a).total_seconds() for a, b in execute[op])
                if op in completed and in_shift > 0 and total > 0:
                    spec = sim.plant.ops[op].spec
                    cycle = spec.run_time_s_per_unit / plant.equipment[equipment_id].speed_factor
                    _, good, scrap = completed[op]
                    t.ideal_output_s += cycle * (good + scrap) * in_shift / total
                if op in completed and window[0] <= completed[op][0] < window[1]:
                    t.qty_good += completed[op][1]
                    t.qty_scrap += completed[op][2]
            out[(equipment_id, window[0])] = t
    return out
