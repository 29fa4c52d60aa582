"""Rescheduling a live plant: which MES events call for a new plan, and a re-solve that keeps the plan
stable (only what must move moves).

:func:`trigger_of` reads the MES outbox's events and names the reason to reschedule — machine down
(``DowntimeStarted``), machine back (``DowntimeEnded``), predicted failure (a predictive
``MaintenanceOrderCreated``), rush order (``WorkOrderReleased`` … of priority ≤ 2, seen on
``WorkOrderCreated``), order changed or cancelled, quantity scrapped (``OperationCompleted`` with scrap),
lot held or released (``LotHeld`` / ``LotReleased``: a held order leaves the plan, a released one comes
back) — or ``None`` for events that do not change the plan. :func:`replan` re-solves a freshly built
:class:`ShopProblem` against the previous plan (operation id → equipment and planned start): the previous
plan carried forward is the warm start and the fallback, and the objective adds, per operation,
|start − previous start| plus a machine-change cost (the mean operation duration), against the plant
objective at a configurable weight. The result counts moved operations and machine changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from ortools.sat.python import cp_model

from plantloop.kernel.envelope import EventEnvelope
from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.model import ModelVars, safe_horizon
from plantloop.optimize.scheduling.problem import Objective, OpKey, Schedule
from plantloop.optimize.scheduling.publish import ShopPlan
from plantloop.optimize.scheduling.rules import best_rule_schedule, list_schedule
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.shop import ShopProblem
from plantloop.optimize.scheduling.solve import SolveStatus, _plan, first_phase, run

#: an operation counts as moved when its start changes by more than this (seconds) or its machine changes
MOVED_TOLERANCE_S = 60.0
_RUSH_PRIORITY = 2


class TriggerReason(Enum):
    MACHINE_DOWN = "machine_down"
    MACHINE_BACK = "machine_back"
    PREDICTED_FAILURE = "predicted_failure"
    RUSH_ORDER = "rush_order"
    ORDER_CHANGED = "order_changed"
    ORDER_CANCELLED = "order_cancelled"
    QTY_SCRAPPED = "qty_scrapped"
    LOT_HELD = "lot_held"
    LOT_RELEASED = "lot_released"


@dataclass(frozen=True, slots=True)
class Trigger:
    reason: TriggerReason
    subject: str
    at: datetime


def trigger_of(event: EventEnvelope) -> Trigger | None:
    """The reason this MES event calls for a new plan, or ``None``."""
    p, subject = event.payload, event.subject or ""
    reason: TriggerReason | None = None
    if event.type == "DowntimeStarted":
        reason = TriggerReason.MACHINE_DOWN
    elif event.type == "DowntimeEnded":
        reason = TriggerReason.MACHINE_BACK
    elif event.type == "MaintenanceOrderCreated" and p.get("kind") == "predictive":
        reason = TriggerReason.PREDICTED_FAILURE
    elif event.type == "WorkOrderCreated" and int(p.get("priority", 9)) <= _RUSH_PRIORITY:
        reason = TriggerReason.RUSH_ORDER
    elif event.type == "WorkOrderChanged":
        reason = TriggerReason.ORDER_CHANGED
    elif event.type == "WorkOrderCancelled":
        reason = TriggerReason.ORDER_CANCELLED
    elif event.type == "OperationCompleted" and int(p.get("qty_scrap", 0)) > 0:
        reason = TriggerReason.QTY_SCRAPPED
    elif event.type == "LotHeld":
        # a held produced lot stops its order; a held purchased lot is stock the plan cannot count on
        reason = TriggerReason.LOT_HELD
    elif event.type == "LotReleased":
        reason = TriggerReason.LOT_RELEASED
    return None if reason is None else Trigger(reason, subject, event.occurred_at)


PreviousPlan = Mapping[str, tuple[str, datetime]]
"""Operation id → (equipment id, planned start) of the plan in force."""


def previous_of(shop_plan: ShopPlan) -> dict[str, tuple[str, datetime]]:
    shop = shop_plan.shop
    return {
        shop.operation_ids[(a.job, a.op)]: (shop.equipment_ids[a.machine], shop.axis.to_datetime(a.start))
        for a in shop_plan.plan.schedule.assignments
    }


def carry_forward(shop: ShopProblem, previous: PreviousPlan) -> Schedule | None:
    """The previous plan on the new problem: same equipment and order, later where it must be."""
    machine_of = {e: i for i, e in enumerate(shop.equipment_ids)}
    preferred: dict[OpKey, int] = {}
    rank: dict[OpKey, float] = {}
    for key, op_id in shop.operation_ids.items():
        prev = previous.get(op_id)
        if prev is not None and prev[0] in machine_of:
            preferred[key] = machine_of[prev[0]]
            rank[key] = shop.axis.seconds_of(prev[1])
    if not preferred:
        return None
    late = max(rank.values()) + 1.0
    return list_schedule(
        shop.problem,
        lambda j, o, c: (rank.get((j, o), late), float(c.start)),
        non_delay=False,
        preferred_machine=preferred,
    )


def replan(
    shop: ShopProblem,
    previous: PreviousPlan,
    objective: Objective = Objective.ON_TIME_AND_FLOW,
    params: SolveParams | None = None,
    *,
    trigger: str = "scheduled",
    primary_weight: int = 1,
) -> ShopPlan:
    """Re-solve ``shop`` with a stability term against ``previous`` (see the module docstring).

    ``primary_weight``: one unit of the plant objective against one time unit of one operation's start
    deviation. At 1 (the default) an operation moves only when that gains more objective than the sum of
    the moves costs; larger values let the plan re-optimise more freely.
    """
    params = params or SolveParams(time_limit_s=5.0)
    t0 = time.perf_counter()
    problem, primary = shop.problem, first_phase(objective)
    carried = carry_forward(shop, previous)
    _, rule = best_rule_schedule(problem, primary)
    candidates = [s for s in (carried, rule) if s is not None and not check_schedule(problem, s)]
    incumbent = min(candidates, key=lambda s: s.value(problem, primary))
    prev_units = _previous_units(shop, previous)
    open_keys = [k for k in problem.op_keys() if k not in problem.frozen]
    durations = [o.duration for k in open_keys for o in problem.op(k).options]
    change_cost = round(sum(durations) / len(durations)) if durations else 1

    def stability(mv: ModelVars) -> cp_model.LinearExprT:
        terms: list[Any] = []
        for key in open_keys:
            prev = prev_units.get(key)
            if prev is None:
                continue
            machine, start = prev
            dev = mv.model.new_int_var(0, mv.horizon, "")
            mv.model.add_abs_equality(dev, mv.start[key] - start)
            terms.append(dev)
            lit = mv.presence.get(key, {}).get(machine)
            if lit is not None:
                terms.append(change_cost * (1 - lit))
        out: cp_model.LinearExprT = sum(terms)
        return out

    horizon = incumbent.makespan
    if objective is not Objective.MAKESPAN:
        horizon = max(horizon, safe_horizon(problem))
    left = params.time_limit_s - (time.perf_counter() - t0)
    sched, _, bound, optimal = run(
        problem,
        primary,
        params,
        incumbent=incumbent,
        horizon=horizon,
        hook=stability,
        time_limit_s=max(0.1, left),
        primary_weight=primary_weight,
    )
    chosen, status = incumbent, SolveStatus.HEURISTIC
    if sched is not None and not check_schedule(problem, sched):
        chosen, status = sched, (SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE)
    value = chosen.value(problem, primary)
    # stability terms are ≥ 0, so the combined bound over the primary weight bounds the plant objective
    primary_bound = max(0, bound // primary_weight) if sched is not None else 0
    notes = [trigger]
    plan = _plan(
        problem, objective, chosen, value, primary_bound, status, t0, rule.value(problem, primary), notes
    )
    moved, changes = _moves(shop, prev_units, chosen)
    return ShopPlan(shop, plan, moved_ops=moved, machine_changes=changes, trigger=trigger)


def _previous_units(shop: ShopProblem, previous: PreviousPlan) -> dict[OpKey, tuple[int, int]]:
    machine_of = {e: i for i, e in enumerate(shop.equipment_ids)}
    out: dict[OpKey, tuple[int, int]] = {}
    for key, op_id in shop.operation_ids.items():
        prev = previous.get(op_id)
        if prev is not None and prev[0] in machine_of:
            out[key] = (machine_of[prev[0]], shop.axis.to_units(shop.axis.seconds_of(prev[1])))
    return out


def _moves(
    shop: ShopProblem, prev_units: Mapping[OpKey, tuple[int, int]], schedule: Schedule
) -> tuple[int, int]:
    tolerance = max(1, round(MOVED_TOLERANCE_S / shop.axis.unit_s))
    moved = changes = 0
    for a in schedule.assignments:
        prev = prev_units.get((a.job, a.op))
        if prev is None or (a.job, a.op) in shop.problem.frozen:
            continue
        changed = prev[0] != a.machine
        changes += changed
        moved += changed or abs(prev[1] - a.start) > tolerance
    return moved, changes
