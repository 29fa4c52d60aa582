"""The scheduler in the simulator's closed loop: a :data:`~plantloop.sim.policies.DispatchRule` backed by
CP-SAT (policy ``aps``).

On every call (order released, hourly, machine down or back) :class:`ApsDispatch` turns the plant
snapshot into a :class:`ShopProblem` (``shop.py``: alternatives, setups, calendar, outages, component
orders, held lots expected back after their review, running operations frozen), warm-starts from the
previous plan carried forward (same equipment, same order) or the best dispatching rule, solves for
on-time delivery then lead time within a
*deterministic* work limit on one worker with a fixed seed — so the same seed gives the same run on any
machine — and returns the plan as pinned dispatch lists. Each call's figures are kept in ``history``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from plantloop.mes.domain.commands import DispatchEntry
from plantloop.optimize.scheduling.problem import Objective, OpKey, Schedule
from plantloop.optimize.scheduling.publish import ShopPlan, entries
from plantloop.optimize.scheduling.rules import list_schedule
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.shop import (
    MachineState,
    OperationState,
    OrderState,
    Outage,
    ShopProblem,
    build_shop_problem,
)
from plantloop.optimize.scheduling.solve import solve
from plantloop.optimize.scheduling.timeaxis import TimeAxis
from plantloop.sim.policies import PlantSnapshot

#: the plant's observed pace (actual / standard run time) is trusted within these bounds
PACE_BOUNDS = (0.8, 1.5)


def shop_from_snapshot(
    snapshot: PlantSnapshot, *, unit_s: float = 60.0, outages: Iterable[Outage] = ()
) -> ShopProblem:
    """The simulator's snapshot as a plant scheduling problem (origin = the snapshot's time). Run times
    are the standard ones scaled by the pace observed on completed operations."""
    now = snapshot.now_s
    pace = min(max(snapshot.run_time_ratio, PACE_BOUNDS[0]), PACE_BOUNDS[1])
    axis = TimeAxis.with_windows(
        snapshot.now_at, [(s - now, e - now) for s, e in snapshot.working_windows], unit_s=unit_s
    )
    orders: dict[str, OrderState] = {}
    operations: list[OperationState] = []
    for view in [*snapshot.running, *snapshot.operations]:
        if view.work_order_id not in orders:
            orders[view.work_order_id] = OrderState(
                work_order_id=view.work_order_id,
                material_id=view.material_id,
                family=view.family,
                due_s=view.due_s - now,
                priority=view.priority,
                released_s=view.released_s - now,
                parent_work_order_id=view.parent_work_order_id,
            )
        running = view.remaining_work_s is not None
        operations.append(
            OperationState(
                operation_id=view.operation_id,
                work_order_id=view.work_order_id,
                seq=view.seq,
                work_center_ids=view.alternatives,
                qty=view.qty,
                run_s_per_unit=view.run_s_per_unit * pace,
                setup_s=view.setup_s,
                minor_setup_s=view.minor_setup_s,
                started_on=view.equipment_id if running else None,
                remaining_s=view.remaining_work_s,
                after_work_orders=view.after_work_orders,
                # a held lot goes on when its review is due to end
                earliest_s=max(0.0, view.held_until_s - now),
                fixed_s=snapshot.lot_handling_s,
                handling_group=view.order_key or view.work_order_id,
            )
        )
    machines = [
        MachineState(
            equipment_id=m.equipment_id,
            work_center_id=m.work_center_id,
            speed_factor=m.speed_factor,
            last_material=m.last_material,
            last_family=m.last_family,
            available_s=max(0.0, m.available_s - now) if m.available_s else 0.0,
            last_step=m.last_step,
        )
        for m in snapshot.machines
    ]
    return build_shop_problem(orders.values(), operations, machines, axis, outages, name=f"twin@{now:.0f}")


def carry_forward(shop: ShopProblem, previous: dict[str, tuple[str, float]]) -> Schedule | None:
    """The previous plan on the new problem: same equipment, same order (by planned start), later where
    it must be. ``previous`` maps operation id → (equipment id, planned start in sim seconds)."""
    if not previous:
        return None
    problem = shop.problem
    machine_of = {e: i for i, e in enumerate(shop.equipment_ids)}
    preferred: dict[OpKey, int] = {}
    rank: dict[OpKey, float] = {}
    for key, op_id in shop.operation_ids.items():
        prev = previous.get(op_id)
        if prev is not None and prev[0] in machine_of:
            preferred[key] = machine_of[prev[0]]
            rank[key] = prev[1]
    if not preferred:
        return None
    late = max(rank.values(), default=0.0) + 1.0
    return list_schedule(
        problem,
        lambda j, o, c: (rank.get((j, o), late), float(c.start)),
        non_delay=False,
        preferred_machine=preferred,
    )


@dataclass
class ApsDispatch:
    """CP-SAT dispatch for the twin; see the module docstring."""

    objective: Objective = Objective.ON_TIME_AND_FLOW
    deterministic_time: float = 1.0
    wall_limit_s: float = 600.0
    seed: int = 0
    unit_s: float = 60.0
    pin_equipment: bool = True
    pin_ahead: int | None = None
    #: planned or predicted maintenance windows to plan around, as ``(equipment_id, start_s, end_s)`` in
    #: sim seconds (e.g. the maintenance module's predicted windows), asked for on every call
    windows: Callable[[PlantSnapshot], Iterable[tuple[str, float, float]]] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    _previous: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __call__(self, snapshot: PlantSnapshot) -> list[DispatchEntry]:
        if not snapshot.operations:
            return []
        outages = [
            Outage(eq, start - snapshot.now_s, end - snapshot.now_s, "maintenance")
            for eq, start, end in (self.windows(snapshot) if self.windows is not None else ())
            if end > snapshot.now_s
        ]
        shop = shop_from_snapshot(snapshot, unit_s=self.unit_s, outages=outages)
        params = SolveParams(
            time_limit_s=self.wall_limit_s,
            num_workers=1,
            random_seed=self.seed,
            deterministic_time=self.deterministic_time,
        )
        hint = carry_forward(shop, self._previous)
        plan = solve(shop.problem, self.objective, params, hint=hint)
        moved = self._moved(shop, plan.schedule, snapshot.now_s)
        shop_plan = ShopPlan(shop, plan, moved_ops=moved, version_prefix="aps")
        self.history.append(
            {
                "now_s": snapshot.now_s,
                "open_ops": shop.problem.n_ops - len(shop.problem.frozen),
                "status": plan.status.value,
                "objective": plan.objective_value,
                "bound": plan.best_bound,
                "rule": plan.rule_value,
                "solve_time_s": plan.solve_time_s,
                "moved_ops": moved,
                "feasible": not plan.violations,
            }
        )
        self._previous = {
            shop.operation_ids[(a.job, a.op)]: (
                shop.equipment_ids[a.machine],
                snapshot.now_s + shop.axis.to_seconds(a.start),
            )
            for a in plan.schedule.assignments
        }
        return entries(shop_plan, pin_equipment=self.pin_equipment, pin_ahead=self.pin_ahead)

    def _moved(self, shop: ShopProblem, schedule: Schedule, now_s: float) -> int:
        """Operations whose equipment changed or whose start moved by more than an hour."""
        moved = 0
        for a in schedule.assignments:
            prev = self._previous.get(shop.operation_ids[(a.job, a.op)])
            if prev is None:
                continue
            start_s = now_s + shop.axis.to_seconds(a.start)
            if prev[0] != shop.equipment_ids[a.machine] or abs(prev[1] - start_s) > 3600.0:
                moved += 1
        return moved
