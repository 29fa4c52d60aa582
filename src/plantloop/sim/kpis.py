"""KPIs of a run, computed from the simulator's own records (not from the MES).

Time categories follow ISO 22400-2 (per equipment, summed over all equipment, within ``[0, until)``):

- planned operation time (POT): the shift calendar's working time;
- planned downtime (PDOT): preventive maintenance inside working time;
- idle for lack of work: working time in which the machine had nothing it could run (empty dispatch list,
  predecessor not done, material not there). ISO 22400 counts only time the unit is *planned to be busy*;
  a machine without work is not busy, so this is not an availability loss (it shows in ``utilization``);
- planned busy time (PBT) = POT − PDOT − idle for lack of work;
- actual production time (APT): time spent processing (setup excluded);
- unplanned downtime: breakdowns (the loss that, with setups, separates PBT from APT).

Then availability = APT / PBT; performance = planned run time per unit × produced quantity / APT (speed
loss; over completed operations, so numerator and denominator cover the same work); quality = good /
produced; OEE = availability × performance × quality; utilization = APT / POT.

Order KPIs are per customer order (a sales order released as sub-lots counts once, released with its first
sub-lot and complete with its last, see :func:`customer_orders`): on-time rate over the orders due within the
run or completed (orders due later and not done are not judged); throughput = good units of completed orders;
scrap rate = scrapped units / units entering completed operations, split by the injected cause each
operation's scrap is attributed to (``base`` is the irreducible rate; ``machine``, ``drift``, ``lot`` are what
maintenance and holds can remove; ``shift`` is a crew effect); mean lead time = release → completion of
completed orders.

Where the lead time goes (``lead_time_breakdown_h``): each completed order's release → completion is
walked back along its critical chain — its own operations, and wherever an operation waited for a
component order that finished after the operation before it, that component's chain — and every second is
put in one part: ``run`` and ``setup`` on a machine, ``interrupted`` (a started operation stopped by a
breakdown or maintenance), ``held`` (waiting while the order, or the component lot it needs, was held for
quality review), ``waiting`` (ready but not started: the machine busy, material short, or not yet
dispatched; by work center in ``waiting_by_work_center_h``) and ``non_working`` (outside the shift
calendar). The parts add up to the mean lead time; only ``waiting`` and ``setup`` are what dispatching
can take out, and the rest is the floor a dispatcher works on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from plantloop.sim.calendar import SimCalendar
from plantloop.sim.orders import OpState, SimOperation, SimWorkOrder
from plantloop.sim.plant import Interval, Plant
from plantloop.sim.telemetry import MachineStatus, MachineTrace


class Kpis(BaseModel):
    orders_released: int
    orders_completed: int
    orders_evaluated: int
    orders_on_time: int
    on_time_rate: float
    mean_tardiness_h: float
    throughput_units: int
    scrap_rate: float
    #: scrapped units by the injected cause that scrapped them (ground truth; a unit hit by several causes
    #: counts once, for the first in ``faults.CAUSE_ORDER``)
    scrap_by_cause: dict[str, int]
    #: produced lots held and dispositioned by the twin's review board, and units reworked (``mrb.py``)
    lots_reviewed: int
    reworked_units: int
    unplanned_downtime_h: float
    planned_downtime_h: float
    planned_operation_h: float
    planned_busy_h: float
    idle_no_work_h: float
    setup_h: float
    actual_production_h: float
    availability: float
    performance: float
    quality: float
    oee: float
    utilization: float
    mean_lead_time_h: float
    #: the mean lead time split along each order's critical chain (see the module docstring)
    lead_time_breakdown_h: dict[str, float]
    #: the ``waiting`` part of ``lead_time_breakdown_h`` by the work center the order waited at
    waiting_by_work_center_h: dict[str, float]
    events_emitted: int
    commands_sent: dict[str, int]
    commands_rejected: int
    faults_injected: list[dict[str, Any]]
    orders_per_day: float
    bottleneck_work_center: str
    dispatch_reads: int
    telemetry_samples: int


def _ratio(num: float, den: float) -> float:
    return round(num / den, 6) if den > 0 else 0.0


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 4)


def status_working_s(
    trace: MachineTrace, calendar: SimCalendar, until_s: float
) -> dict[MachineStatus, float]:
    """Working seconds (inside the shift calendar) a machine spent in each status before ``until_s``."""
    out = dict.fromkeys(MachineStatus, 0.0)
    ends = [*trace.t[1:], until_s]
    for start, end, status in zip(trace.t, ends, trace.status, strict=True):
        end = min(end, until_s)
        if end > start:
            out[MachineStatus(status)] += calendar.working_s(start, end)
    return out


def _working_in(intervals: list[Interval], kind: str, calendar: SimCalendar, until_s: float) -> float:
    return sum(calendar.working_s(i.start_s, min(i.end_s, until_s)) for i in intervals if i.kind == kind)


def _clipped(intervals: list[Interval], kind: str, until_s: float) -> float:
    return sum(max(0.0, min(i.end_s, until_s) - max(i.start_s, 0.0)) for i in intervals if i.kind == kind)


def compute_kpis(
    plant: Plant,
    *,
    orders_per_day: float,
    bottleneck: str,
    events_emitted: int | None,
    telemetry_samples: int,
    until_s: float | None = None,
) -> Kpis:
    """KPIs over ``[0, until_s)`` (default: the whole horizon)."""
    until = plant.config.horizon_s if until_s is None else until_s
    calendar = plant.calendar
    top = customer_orders(plant)
    completed = [o for o in top if o.completed_s is not None]
    judged = [o for o in top if o.completed_s is not None or o.due_s <= until]
    on_time = [o for o in judged if o.completed_s is not None and o.completed_s <= o.due_s]
    tardiness = [max(0.0, (o.completed_s if o.completed_s is not None else until) - o.due_s) for o in judged]
    lead = [(o.completed_s or 0.0) - o.released_s for o in completed]
    breakdown, waiting_by_wc = lead_time_breakdown(plant, [o.last for o in completed])

    done_ops = [op for op in plant.ops.values() if op.state is OpState.DONE]
    produced = sum(op.qty_in for op in done_ops)
    scrap = sum(op.qty_scrap for op in done_ops)
    good = produced - scrap
    apt_done = sum(b - a for op in done_ops for a, b in op.run_segments)
    standard = sum(
        op.qty_in * op.spec.run_time_s_per_unit / plant.machines[op.equipment_id or ""].spec.speed_factor
        for op in done_ops
    )
    by_status = dict.fromkeys(MachineStatus, 0.0)
    for machine in plant.machines.values():
        for status, seconds in status_working_s(machine.trace, calendar, until).items():
            by_status[status] += seconds
    downtime = plant.records.downtime
    planned_operation = calendar.working_s(0.0, until) * len(plant.machines)
    planned_down = _working_in(downtime, "PM", calendar, until)
    # A machine is DOWN only in maintenance or breakdown, IDLE otherwise when not processing or setting
    # up (outside shifts it is IDLE too, but that is not working time).
    idle_no_work = by_status[MachineStatus.IDLE]
    planned_busy = max(planned_operation - planned_down - idle_no_work, 0.0)
    actual_production = by_status[MachineStatus.RUNNING]
    availability = _ratio(actual_production, planned_busy)
    performance = _ratio(standard, apt_done)
    quality = _ratio(good, produced)
    sent = dict(sorted(plant.commands_sent.items()))
    return Kpis(
        orders_released=len(top),
        orders_completed=len(completed),
        orders_evaluated=len(judged),
        orders_on_time=len(on_time),
        on_time_rate=_ratio(len(on_time), len(judged)),
        mean_tardiness_h=round(sum(tardiness) / len(tardiness) / 3600, 4) if tardiness else 0.0,
        throughput_units=sum(wo.qty_good for o in completed for wo in o.lots),
        scrap_rate=_ratio(scrap, produced),
        scrap_by_cause=_scrap_by_cause(done_ops),
        lots_reviewed=sum(r.released_s is not None for r in plant.records.reviews),
        reworked_units=sum(r.reworked_units for r in plant.records.reviews),
        unplanned_downtime_h=_hours(_clipped(downtime, "BRK", until)),
        planned_downtime_h=_hours(_clipped(downtime, "PM", until)),
        planned_operation_h=_hours(planned_operation),
        planned_busy_h=_hours(planned_busy),
        idle_no_work_h=_hours(idle_no_work),
        setup_h=_hours(by_status[MachineStatus.SETUP]),
        actual_production_h=_hours(actual_production),
        availability=availability,
        performance=performance,
        quality=quality,
        oee=round(availability * performance * quality, 6),
        utilization=_ratio(actual_production, planned_operation),
        mean_lead_time_h=round(sum(lead) / len(lead) / 3600, 4) if lead else 0.0,
        lead_time_breakdown_h=breakdown,
        waiting_by_work_center_h=waiting_by_wc,
        events_emitted=events_emitted if events_emitted is not None else sum(sent.values()),
        commands_sent=sent,
        commands_rejected=len(plant.rejected),
        faults_injected=[f.to_dict() for f in plant.ground_truth.faults],
        orders_per_day=round(orders_per_day, 4),
        bottleneck_work_center=bottleneck,
        dispatch_reads=plant.dispatch_reads,
        telemetry_samples=telemetry_samples,
    )


@dataclass(frozen=True)
class CustomerOrder:
    """A sales order as the customer sees it: the top-level work orders it was released as (one, or its
    sub-lots), released with the first and complete with the last."""

    key: str
    lots: tuple[SimWorkOrder, ...]

    @property
    def released_s(self) -> float:
        return min(wo.released_s or 0.0 for wo in self.lots)

    @property
    def completed_s(self) -> float | None:
        ends = [wo.completed_s for wo in self.lots]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)

    @property
    def due_s(self) -> float:
        return min(wo.due_s for wo in self.lots)

    @property
    def qty(self) -> int:
        return sum(wo.qty for wo in self.lots)

    @property
    def last(self) -> SimWorkOrder:
        """The lot that completed last (or is still open): the one the order's lead time waits for."""
        return max(self.lots, key=lambda wo: math.inf if wo.completed_s is None else wo.completed_s)


def customer_orders(plant: Plant) -> list[CustomerOrder]:
    """The run's sales orders, in release order, each with the top-level work orders that deliver it."""
    groups: dict[str, list[SimWorkOrder]] = {}
    for wo in plant.records.work_orders:
        if wo.is_top_level:
            groups.setdefault(wo.order_key, []).append(wo)
    return [CustomerOrder(key, tuple(lots)) for key, lots in groups.items()]


def _scrap_by_cause(done_ops: list[SimOperation]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for op in done_ops:
        counts.update(op.scrap_by_cause)
    return dict(sorted(counts.items()))


#: the parts of ``Kpis.lead_time_breakdown_h``
LEAD_TIME_PARTS = ("run", "setup", "interrupted", "held", "waiting", "non_working")


def lead_time_breakdown(
    plant: Plant, orders: Iterable[SimWorkOrder]
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean hours per part of the lead time of completed ``orders``, and the waiting part by work center
    (see the module docstring)."""
    calendar = plant.calendar
    holds: dict[str, list[tuple[float, float]]] = {}
    for review in plant.records.reviews:
        end = review.released_s if review.released_s is not None else math.inf
        holds.setdefault(review.work_order_id, []).append((review.held_s, end))
    parts = dict.fromkeys(LEAD_TIME_PARTS, 0.0)
    waiting: dict[str, float] = {}

    def wait(a: float, b: float, held_ids: list[str], where: str) -> None:
        if b <= a:
            return
        working = calendar.working_s(a, b)
        held = sum(
            calendar.working_s(max(a, h0), min(b, h1))
            for wo_id in held_ids
            for h0, h1 in holds.get(wo_id, ())
            if min(b, h1) > max(a, h0)
        )
        held = min(held, working)  # an order and its component may be held at the same time
        parts["non_working"] += (b - a) - working
        parts["held"] += held
        parts["waiting"] += working - held
        waiting[where] = waiting.get(where, 0.0) + working - held

    def walk(wo: SimWorkOrder, floor: float) -> None:
        """Cover ``[floor, wo.completed_s]`` along ``wo``'s critical chain."""
        end = wo.completed_s or floor
        for op in reversed(wo.operations):
            start, done = max(op.started_s or floor, floor), op.completed_s or end
            wait(done, end, [wo.id], op.work_center_id)  # after the last operation: a review's hold
            if done <= floor:
                return
            span = done - start
            working = min(calendar.working_s(start, done), span)
            run = min(sum(max(0.0, min(e, done) - max(s, start)) for s, e in op.run_segments), working)
            setup = min(op.setup_s, working - run) if start == op.started_s else 0.0  # clipped: none
            parts["run"] += run
            parts["setup"] += setup
            parts["interrupted"] += working - run - setup
            parts["non_working"] += span - working
            before = wo.operations[op.index - 1].completed_s if op.index > 0 else wo.released_s
            ready = max(before or floor, floor)
            children = [child for child, _ in op.child_needs]
            late_child = max(children, key=lambda c: c.completed_s or 0.0, default=None)
            if late_child is not None and (late_child.completed_s or 0.0) > ready:
                wait(late_child.completed_s or ready, start, [wo.id, late_child.id], op.work_center_id)
                walk(late_child, floor)
                return
            wait(ready, start, [wo.id, *(c.id for c in children)], op.work_center_id)
            end = ready
        wait(floor, end, [wo.id], "release")

    done_orders = [wo for wo in orders if wo.completed_s is not None]
    if not done_orders:
        return dict.fromkeys(LEAD_TIME_PARTS, 0.0), {}
    for wo in done_orders:
        walk(wo, wo.released_s or 0.0)
    per_order_h = 3600 * len(done_orders)
    by_wc = sorted(((k, v) for k, v in waiting.items() if v > 0), key=lambda kv: -kv[1])
    return {k: round(v / per_order_h, 4) for k, v in parts.items()}, {
        k: round(v / per_order_h, 4) for k, v in by_wc
    }
