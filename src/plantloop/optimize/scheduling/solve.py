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

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.check import Violation, check_schedule
from plantloop.optimize.scheduling.model import ModelVars, build_model, safe_horizon
from plantloop.optimize.scheduling.problem import Assignment, Objective, Problem, Schedule
from plantloop.optimize.scheduling.rules import best_rule_schedule


class SolveStatus(Enum):
    """How good the returned schedule is known to be."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    HEURISTIC = "heuristic"  # only the dispatching rule's schedule
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Explicit solver limits: wall time, parallel workers, seed."""

    time_limit_s: float = 10.0
    num_workers: int = 2
    random_seed: int = 0
    use_hint: bool = True
    log: bool = False


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


def solver_for(params: SolveParams, time_limit_s: float | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.01, time_limit_s if time_limit_s is not None else params.time_limit_s)
    p.num_workers = params.num_workers
    p.random_seed = params.random_seed
    p.relative_gap_limit = 0.0
    p.absolute_gap_limit = 0.0
    p.log_search_progress = params.log
    return solver


def extract_schedule(problem: Problem, mv: ModelVars, solver: cp_model.CpSolver) -> Schedule:
    out = []
    for key, start_var in mv.start.items():
        start = int(solver.Value(start_var))
        lits = mv.presence.get(key)
        frozen = problem.frozen.get(key)
        if lits:
            machine = next(m for m, lit in lits.items() if solver.BooleanValue(lit))
        elif frozen is not None:
            machine = frozen.machine
        else:
            machine = problem.op(key).options[0].machine
        d = problem.op(key).duration_on(machine)
        out.append(Assignment(job=key[0], op=key[1], machine=machine, start=start, end=start + d))
    return Schedule(assignments=tuple(sorted(out, key=lambda a: (a.job, a.op))))


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
) -> tuple[Schedule | None, int, int, bool]:
    """One CP-SAT run: returns (schedule or None, objective value, best bound, proved optimal)."""
    mv = build_model(problem, horizon=horizon)
    primary = _primary(problem, mv, objective)
    if bound_primary is not None:
        mv.model.Add(_tardiness(problem, mv) <= bound_primary)
    extra = hook(mv) if hook is not None else None
    mv.model.Minimize(primary if extra is None else primary + extra)
    if params.use_hint:
        mv.add_hint(problem, hint or incumbent)
    solver = solver_for(params, time_limit_s)
    status = solver.Solve(mv.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, 0, int(solver.BestObjectiveBound()), False
    return (
        extract_schedule(problem, mv, solver),
        int(round(solver.ObjectiveValue())),
        int(round(solver.BestObjectiveBound())),
        status == cp_model.OPTIMAL,
    )


def _tardiness(problem: Problem, mv: ModelVars) -> cp_model.LinearExprT:
    return mv.weighted_tardiness(problem)


def _primary(problem: Problem, mv: ModelVars, objective: Objective) -> cp_model.LinearExprT:
    if objective is Objective.MAKESPAN:
        assert mv.makespan is not None
        return mv.makespan
    return _tardiness(problem, mv)


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
    first = Objective.MAKESPAN if objective is Objective.MAKESPAN else Objective.WEIGHTED_TARDINESS
    _, rule_sched = best_rule_schedule(problem, first)
    incumbent = rule_sched
    if hint is not None and not check_schedule(problem, hint):
        if hint.value(problem, first) <= incumbent.value(problem, first):
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
        return _plan(problem, objective, incumbent, value, bound if sched else 0, status, t0, rule_value, notes)
    sched, value, bound, optimal = run(problem, first, params, incumbent=incumbent, horizon=horizon, time_limit_s=budget)
    if sched is None:
        return _plan(problem, objective, incumbent, incumbent.value(problem, first), bound, SolveStatus.HEURISTIC,
                     t0, rule_value, ["CP-SAT found no solution in time; dispatching rule schedule"])
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
