"""Runs the CP-SAT model with explicit limits and seed and turns the answer into a checked :class:`Plan`.

Strategy: the best dispatching-rule schedule gives a feasible incumbent, the horizon (for makespan) and
the solver hint; CP-SAT then searches with the given time limit, workers and seed and zero optimality
tolerance. Lexicographic objectives run in two phases (tardiness, then makespan with tardiness fixed at
its best). Every result goes through the independent checker; if CP-SAT finds nothing better, the rule
schedule is returned with status ``HEURISTIC``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, cast

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling import portfolio
from plantloop.optimize.scheduling.check import Violation, check_schedule
from plantloop.optimize.scheduling.model import ModelVars, build_model, makespan_lower_bound, safe_horizon
from plantloop.optimize.scheduling.problem import (
    LATE_ORDER_PENALTY,
    TARDINESS_OVER_FLOW,
    Objective,
    Problem,
    Schedule,
)
from plantloop.optimize.scheduling.rules import best_rule_schedule
from plantloop.optimize.scheduling.runner import SolveParams, extract_schedule, solver_for


class SolveStatus(Enum):
    """How good the returned schedule is known to be."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    HEURISTIC = "heuristic"  # only the dispatching rule's schedule
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked schedule with its objective, the proven bound and the gap between them."""

    schedule: Schedule
    objective: Objective
    objective_value: int
    best_bound: int
    status: SolveStatus
    solve_time_s: float
    violations: tuple[Violation, ...] = ()
    rule_value: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def makespan(self) -> int:
        return self.schedule.makespan

    @property
    def gap_pct(self) -> float:
        if self.objective_value == 0:
            return 0.0
        return 100.0 * (self.objective_value - self.best_bound) / self.objective_value


ModelHook = Callable[[ModelVars], cp_model.LinearExprT | None]
"""Adds constraints to a built model and returns extra objective terms (or None)."""


def run(
    problem: Problem,
    objective: Objective,
    params: SolveParams,
    *,
    incumbent: Schedule,
    horizon: int,
    hint: Schedule | None = None,
    hook: ModelHook | None = None,
    time_limit_s: float | None = None,
    bound_primary: int | None = None,
    primary_weight: int = 1,
) -> tuple[Schedule | None, int, int, bool]:
    """One CP-SAT run: returns (schedule or None, objective value, best bound, proved optimal).

    ``time_limit_s`` covers building the model too, so callers can hand down what is left of a budget.
    """
    t_start = time.perf_counter()
    mv = build_model(problem, horizon=horizon)
    primary = _primary(problem, mv, objective)
    if bound_primary is not None:
        mv.model.add(_tardiness(problem, mv) <= bound_primary)
    extra = hook(mv) if hook is not None else None
    goal: Any = (
        primary if extra is None else primary_weight * cast(cp_model.LinearExpr, primary) + cast(Any, extra)
    )
    mv.model.minimize(goal)
    if params.use_hint:
        mv.add_hint(problem, hint or incumbent)
    limit = time_limit_s if time_limit_s is not None else params.time_limit_s
    solver = solver_for(params, limit - (time.perf_counter() - t_start))
    if mv.circuits:
        # setup circuits have O(n²) enforced arcs; full probing and symmetry detection in presolve can
        # then eat the whole budget before search starts
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
    status = solver.solve(mv.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, 0, int(solver.best_objective_bound), False
    return (
        extract_schedule(problem, mv, solver),
        round(solver.objective_value),
        round(solver.best_objective_bound),
        status == cp_model.OPTIMAL,
    )


def _tardiness(problem: Problem, mv: ModelVars) -> cp_model.LinearExprT:
    return mv.weighted_tardiness(problem)


def _primary(problem: Problem, mv: ModelVars, objective: Objective) -> cp_model.LinearExprT:
    if objective is Objective.MAKESPAN:
        assert mv.makespan is not None
        return mv.makespan
    if objective in (Objective.TARDINESS_AND_FLOW, Objective.ON_TIME_AND_FLOW):
        # flow = Σ end − Σ release (a constant), so the solver's value equals Schedule.value
        releases = sum(job.release for job in problem.jobs)
        expr: Any = (
            TARDINESS_OVER_FLOW * cast(Any, _tardiness(problem, mv)) + mv.flow_time(problem) - releases
        )
        if objective is Objective.ON_TIME_AND_FLOW:
            expr = expr + LATE_ORDER_PENALTY * cast(Any, mv.weighted_late(problem))
        out: cp_model.LinearExprT = expr
        return out
    return _tardiness(problem, mv)


def first_phase(objective: Objective) -> Objective:
    """The objective of the first (or only) solve: lexicographic objectives start with tardiness."""
    if objective is Objective.TARDINESS_THEN_MAKESPAN:
        return Objective.WEIGHTED_TARDINESS
    return objective


def solve(
    problem: Problem,
    objective: Objective = Objective.MAKESPAN,
    params: SolveParams | None = None,
    *,
    hint: Schedule | None = None,
) -> Plan:
    """Solve ``problem`` for ``objective`` within ``params.time_limit_s``; the result is always checked."""
    params = params or SolveParams()
    t0 = time.perf_counter()
    first = first_phase(objective)
    _, rule_sched = best_rule_schedule(problem, first)
    incumbent = rule_sched
    better = hint is not None and hint.value(problem, first) <= incumbent.value(problem, first)
    if hint is not None and better and not check_schedule(problem, hint):
        incumbent = hint
    rule_value = rule_sched.value(problem, first)
    horizon = incumbent.makespan if objective is Objective.MAKESPAN else safe_horizon(problem)
    horizon = max(horizon, incumbent.makespan)
    budget = params.time_limit_s - (time.perf_counter() - t0)
    notes: list[str] = []
    if objective is Objective.TARDINESS_THEN_MAKESPAN:
        budget_1 = budget / 2
        sched, value, bound, optimal = run(
            problem, first, params, incumbent=incumbent, horizon=horizon, time_limit_s=budget_1
        )
        if sched is not None and not check_schedule(problem, sched):
            incumbent = sched
        best_tard = incumbent.weighted_tardiness(problem)
        budget_2 = params.time_limit_s - (time.perf_counter() - t0)
        sched2, _, _, optimal_2 = run(
            problem,
            Objective.MAKESPAN,
            params,
            incumbent=incumbent,
            horizon=max(incumbent.makespan, 1),
            time_limit_s=budget_2,
            bound_primary=best_tard,
        )
        if sched2 is not None and not check_schedule(problem, sched2):
            incumbent = sched2
        notes.append(f"phase 1 tardiness {best_tard}, phase 2 makespan {incumbent.makespan}")
        value = incumbent.weighted_tardiness(problem)
        status = SolveStatus.OPTIMAL if optimal and optimal_2 else SolveStatus.FEASIBLE
        return _plan(
            problem, objective, incumbent, value, bound if sched else 0, status, t0, rule_value, notes
        )
    search = portfolio.makespan_search(problem, params) if objective is Objective.MAKESPAN else None
    if search is not None:
        res = search(problem, params, incumbent, t0 + params.time_limit_s)
        status = SolveStatus.OPTIMAL if res.optimal else SolveStatus.FEASIBLE
        return _plan(
            problem,
            objective,
            res.schedule,
            res.schedule.makespan,
            res.bound,
            status,
            t0,
            rule_value,
            res.notes,
        )
    sched, value, bound, optimal = run(
        problem, first, params, incumbent=incumbent, horizon=horizon, time_limit_s=budget
    )
    if sched is None:
        note = "CP-SAT found no solution in time; dispatching rule schedule"
        value = incumbent.value(problem, first)
        return _plan(
            problem, objective, incumbent, value, bound, SolveStatus.HEURISTIC, t0, rule_value, [note]
        )
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    return _plan(problem, objective, sched, value, bound, status, t0, rule_value, notes)


def _plan(
    problem: Problem,
    objective: Objective,
    schedule: Schedule,
    value: int,
    bound: int,
    status: SolveStatus,
    t0: float,
    rule_value: int,
    notes: list[str],
) -> Plan:
    if objective is Objective.MAKESPAN and not problem.frozen:
        # the job/machine bound is kept out of the CP-SAT model (see build_model), so it is applied here
        bound = max(bound, makespan_lower_bound(problem))
        if value <= bound:
            status = SolveStatus.OPTIMAL
    violations = tuple(check_schedule(problem, schedule))
    return Plan(
        schedule=schedule,
        objective=objective,
        objective_value=value,
        best_bound=min(bound, value),
        status=status,
        solve_time_s=time.perf_counter() - t0,
        violations=violations,
        rule_value=rule_value,
        notes=tuple(notes),
    )
