"""Makespan search for plain (flexible) job shops: tabu search and CP-SAT side by side, in rounds.

CP-SAT proves bounds and changes machine assignments well but, on a couple of cores, improves large
job shops slowly; the tabu search on the disjunctive graph (``tabu.py``) improves machine sequences fast
but proves nothing. Each round runs both on the current best schedule: the tabu search in the calling
thread, CP-SAT on the **full model** in a second thread (its C++ search releases the GIL), with
``num_workers − 1`` workers (one worker interleaves its subsolvers, LNS included), so the two together
use the workers asked for. At the end of a round the better schedule becomes the next round's start and
CP-SAT hint, and the best CP-SAT bound so far is added to the next model as a valid cut. The bound
reported is always a bound proven by CP-SAT on the full model (or the trivial job/machine bound).
With one worker the two run one after the other within each round.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling import tabu
from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.model import build_model, makespan_lower_bound
from plantloop.optimize.scheduling.problem import Problem, Schedule
from plantloop.optimize.scheduling.runner import SolveParams, extract_schedule, solver_for

#: share of the budget per round: short first rounds hand CP-SAT the tabu search's schedule early
ROUND_SHARES = (0.2, 0.3, 0.5)


@dataclass(slots=True)
class _CpResult:
    schedule: Schedule | None = None
    bound: int = 0
    optimal: bool = False


@dataclass(slots=True)
class PortfolioResult:
    """The best schedule, the proven bound, whether CP-SAT proved it optimal, and what each part did."""

    schedule: Schedule
    bound: int
    optimal: bool
    notes: list[str] = field(default_factory=list)


def applies(problem: Problem, params: SolveParams) -> bool:
    """Plain job shops (one machine per operation) for makespan, not in the reproducible (deterministic
    work limit) mode. On flexible shops CP-SAT needs both workers for the assignment: measured, the tabu
    search with a fixed assignment took more from CP-SAT than it gave (mk05-07, mk10)."""
    return params.deterministic_time is None and not problem.is_flexible() and tabu.applies(problem)


def _cp_sat(
    problem: Problem, params: SolveParams, hint: Schedule, bound: int, limit_s: float, workers: int, seed: int
) -> _CpResult:
    mv = build_model(problem, horizon=hint.makespan)
    assert mv.makespan is not None
    if bound > 0:
        mv.model.add(mv.makespan >= bound)  # proven by an earlier round: a valid cut
    mv.model.minimize(mv.makespan)
    mv.add_hint(problem, hint)
    solver = solver_for(params, limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if workers == 1:
        # a single worker alternates between its subsolvers (LNS among them) instead of one tree search
        solver.parameters.interleave_search = True
        solver.parameters.use_lns = True
    status = solver.solve(mv.model)
    out = _CpResult(bound=round(solver.best_objective_bound))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out.schedule = extract_schedule(problem, mv, solver)
        out.optimal = status == cp_model.OPTIMAL
    return out


def _cp_into(
    out: _CpResult,
    stop: threading.Event,
    problem: Problem,
    params: SolveParams,
    hint: Schedule,
    cut: int,
    end: float,
    workers: int,
    seed: int,
) -> None:
    result = _cp_sat(problem, params, hint, cut, end - time.perf_counter(), workers, seed)
    out.schedule, out.bound, out.optimal = result.schedule, result.bound, result.optimal
    if result.optimal:
        stop.set()  # nothing left for the tabu search to find


def solve_makespan(
    problem: Problem, params: SolveParams, start: Schedule, deadline: float
) -> PortfolioResult:
    """Improve ``start`` until ``deadline`` (perf_counter); see the module docstring."""
    best = start
    bound = makespan_lower_bound(problem)
    t_begin = time.perf_counter()
    total = max(0.0, deadline - t_begin)
    notes: list[str] = []
    optimal = False
    shares_done = 0.0
    for i, share in enumerate(ROUND_SHARES):
        shares_done += share
        round_end = t_begin + shares_done * total if i < len(ROUND_SHARES) - 1 else deadline
        if best.makespan <= bound or time.perf_counter() >= round_end - 0.05:
            break
        seed = params.random_seed + 7919 * i
        cp = _CpResult()
        stop = threading.Event()
        if params.num_workers >= 2:
            args = (cp, stop, problem, params, best, bound, round_end, params.num_workers - 1, seed)
            thread = threading.Thread(target=_cp_into, args=args, daemon=True)
            thread.start()
            ts = tabu.improve(problem, best, deadline=round_end, seed=seed, lower_bound=bound, stop=stop)
            thread.join()
        else:
            mid = time.perf_counter() + (round_end - time.perf_counter()) / 2
            ts = tabu.improve(problem, best, deadline=mid, seed=seed, lower_bound=bound)
            hint = min(best, ts.schedule, key=_makespan)
            _cp_into(cp, stop, problem, params, hint, bound, round_end, 1, seed)
        bound = max(bound, cp.bound)
        candidates = [ts.schedule]
        if cp.schedule is not None and not check_schedule(problem, cp.schedule):
            candidates.append(cp.schedule)
        better = min(candidates, key=_makespan)
        notes.append(
            f"round {i + 1}: tabu {ts.schedule.makespan} ({ts.steps} steps), "
            f"CP-SAT {cp.schedule.makespan if cp.schedule else '-'} (bound {cp.bound})"
        )
        if better.makespan < best.makespan or (better.makespan == best.makespan and better is cp.schedule):
            best = better
        if cp.optimal and cp.schedule is not None and cp.schedule.makespan <= best.makespan:
            optimal = True
            break
    optimal = optimal or best.makespan <= bound
    return PortfolioResult(best, min(bound, best.makespan), optimal, notes)


def _makespan(schedule: Schedule) -> int:
    return schedule.makespan
