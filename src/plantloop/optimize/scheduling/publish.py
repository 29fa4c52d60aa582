"""A solved plant schedule → the MES command that replaces dispatch lists, and the evidence behind it.

:func:`plan_to_commands` gives one ``PublishDispatchLists``: per work center, its not-started operations in
planned start order (position 0 first), each pinned to the planned equipment and carrying planned start
and end times. The schedule version is derived from the plan's origin and content, so publishing the same
plan twice is a no-op at the MES (idempotent) while a new plan always gets a new version.
:func:`plan_evidence` is the JSON-able record the decision layer stores with it: objective, best bound,
gap, solve status and time, moved operations, late orders with the constraint that makes each late, and
the bottleneck equipment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from plantloop.mes.domain.commands import Command, DispatchEntry, PublishDispatchLists
from plantloop.optimize.scheduling.explain import late_jobs, utilisation
from plantloop.optimize.scheduling.problem import Assignment
from plantloop.optimize.scheduling.shop import ShopProblem
from plantloop.optimize.scheduling.solve import Plan

MODEL_VERSION = "cpsat-fjsp-v2"


@dataclass(frozen=True)
class ShopPlan:
    """A checked plan for a plant, with the stability figures of the reschedule that produced it."""

    shop: ShopProblem
    plan: Plan
    moved_ops: int | None = None
    machine_changes: int | None = None
    trigger: str = "scheduled"
    version_prefix: str = "aps"

    @property
    def schedule_version(self) -> str:
        digest = hashlib.sha1(
            repr(
                [(e.operation_id, e.work_center_id, e.equipment_id, e.position) for e in entries(self)]
            ).encode()
        ).hexdigest()[:10]
        stamp = self.shop.origin_at.strftime("%Y%m%dT%H%M%SZ")
        return f"{self.version_prefix}-{stamp}-{digest}"[:64]


def _open_assignments(shop_plan: ShopPlan) -> list[Assignment]:
    frozen = shop_plan.shop.problem.frozen
    return [a for a in shop_plan.plan.schedule.assignments if (a.job, a.op) not in frozen]


def entries(
    shop_plan: ShopPlan, *, pin_equipment: bool = True, pin_ahead: int | None = None
) -> list[DispatchEntry]:
    """Dispatch entries of every not-started operation, per work center in planned start order.

    ``pin_ahead``: pin only each machine's next so many operations and leave the later ones to whichever
    machine of the work center is free first (``None``: pin all, when ``pin_equipment``).
    """
    shop = shop_plan.shop
    per_wc: dict[str, list[Assignment]] = {}
    for a in _open_assignments(shop_plan):
        equipment = shop.equipment_ids[a.machine]
        per_wc.setdefault(shop.work_center_of[equipment], []).append(a)
    out: list[DispatchEntry] = []
    for wc in sorted(per_wc):
        ordered = sorted(per_wc[wc], key=lambda a: (a.start, a.machine, shop.operation_ids[(a.job, a.op)]))
        seen: dict[int, int] = {}
        for position, a in enumerate(ordered):
            equipment = shop.equipment_ids[a.machine]
            seen[a.machine] = seen.get(a.machine, 0) + 1
            pinned = pin_equipment and (pin_ahead is None or seen[a.machine] <= pin_ahead)
            out.append(
                DispatchEntry(
                    operation_id=shop.operation_ids[(a.job, a.op)],
                    work_center_id=wc,
                    equipment_id=equipment if pinned else None,
                    position=position,
                    planned_start_at=shop.axis.to_datetime(a.start),
                    planned_end_at=shop.axis.to_datetime(a.end),
                )
            )
    return out


def plan_to_commands(
    shop_plan: ShopPlan,
    *,
    decision_id: str | None = None,
    issued_by: str = "scheduler",
    pin_equipment: bool = True,
) -> list[Command]:
    """The commands that put ``shop_plan`` on the line (one ``PublishDispatchLists``; none if empty)."""
    items = entries(shop_plan, pin_equipment=pin_equipment)
    if not items:
        return []
    return [
        PublishDispatchLists(
            at=shop_plan.shop.origin_at,
            schedule_version=shop_plan.schedule_version,
            entries=items,
            decision_id=decision_id,
            issued_by=issued_by,
        )
    ]


def plan_evidence(shop_plan: ShopPlan, *, max_late: int = 20) -> dict[str, Any]:
    """JSON-able evidence for the decision record (see the module docstring)."""
    shop, plan = shop_plan.shop, shop_plan.plan
    problem, schedule = shop.problem, plan.schedule
    late = late_jobs(problem, schedule)
    axis = shop.axis
    loads = utilisation(problem, schedule)[:3]
    return {
        "model_version": MODEL_VERSION,
        "trigger": shop_plan.trigger,
        "schedule_version": shop_plan.schedule_version,
        "origin_at": shop.origin_at.isoformat(),
        "objective": plan.objective.value,
        "objective_value": plan.objective_value,
        "best_bound": plan.best_bound,
        "gap_pct": round(plan.gap_pct, 3),
        "status": plan.status.value,
        "solve_time_s": round(plan.solve_time_s, 3),
        "rule_value": plan.rule_value,
        "feasible": not plan.violations,
        "open_operations": problem.n_ops - len(problem.frozen),
        "started_operations": len(problem.frozen),
        "work_orders": len(problem.jobs),
        "moved_ops": shop_plan.moved_ops,
        "machine_changes": shop_plan.machine_changes,
        "late_orders": [
            {
                "work_order_id": lj.job_id,
                "due_at": axis.to_datetime(lj.due).isoformat(),
                "planned_end_at": axis.to_datetime(lj.end).isoformat(),
                "tardiness_h": round(lj.tardiness * axis.unit_s / 3600.0, 2),
                "constraint": lj.constraint.value,
                "equipment_id": None if lj.machine is None else shop.equipment_ids[lj.machine],
                "detail": lj.detail,
            }
            for lj in late[:max_late]
        ],
        "late_order_count": len(late),
        "bottlenecks": [{"equipment_id": ld.label, "utilisation_pct": ld.utilisation_pct} for ld in loads],
        "time_unit_s": axis.unit_s,
    }
