"""Makespan searches that run two complementary methods side by side on two workers.

**Plain job shops** (``solve_makespan``, also flexible shops on one worker): the tabu search on the
disjunctive graph (``tabu.py``) improves machine sequences fast but proves nothing; CP-SAT proves bounds
and, handed a good schedule as its hint, improves it by LNS. Two phases:

1. for ``TABU_SHARE`` of the budget the tabu search runs in the calling thread while CP-SAT runs on the
   full model in a second thread (its C++ search releases the GIL) with ``num_workers − 1`` workers;
2. CP-SAT runs alone with all ``num_workers`` workers for the rest, hinted with the better schedule.

An earlier version alternated three rounds of both; each round restarted CP-SAT with one worker and the
bound as a cut. Measured at 60 s on ta01–10 it was worse than the plain CP-SAT model (0.70 % against
0.14 %): the restarts threw CP-SAT's search away, and a lower bound in the model stops CP-SAT's linear
relaxation from raising it (see ``model.build_model``). With one worker the two phases run one after the
other.

**Flexible job shops** (``solve_flexible_makespan``): the full model runs for the whole budget with
``num_workers − 1`` workers in a second thread. The calling thread first runs the tabu search with
reassignment (critical operations also move to their alternative machines, ``tabu.py``) for
``FLEX_TABU_SHARE`` of the budget, then plantloop's LNS (``lns.py``: machine choice and order fixed outside
a neighbourhood) with one worker from the tabu's best, each LNS step starting from the better of its own
incumbent and the full model's latest solution. Problems the tabu search does not handle (setups,
calendars, frozen operations, component links: a plant's) run the LNS for the whole budget. Measured at
60 s and 2 workers against LNS beside the full model (mk01–10 1.39–1.58 %, mk10 206–208): mk10 198,
edata la26 1116 against 1138; tabu for the whole budget gave mk10 197 but lost to the LNS tail on la26 (1126)
and vdata abz7 (500 against 499). Figures and the variants tried are in ``docs/benchmarks.md``.

The bound reported is the better of CP-SAT's bound and :func:`makespan_lower_bound`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling import tabu
from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.lns import improve_makespan
from plantloop.optimize.scheduling.model import ModelVars, build_model, makespan_lower_bound
from plantloop.optimize.scheduling.problem import Problem, Schedule
from plantloop.optimize.scheduling.runner import SolveParams, extract_schedule, solver_for

#: share of the budget for the tabu search (phase 1) on job shops; measured on ta02/07/10/11/21/31 at 60 s
TABU_SHARE = 0.15
#: share of the budget for the tabu search on flexible shops, before the LNS takes the calling thread
FLEX_TABU_SHARE = 0.7


@dataclass(slots=True)
class _CpResult:
    schedule: Schedule | None = None
    bound: int = 0
    optimal: bool = False


@dataclass(slots=True)
class PortfolioResult:
    """The best schedule, the proven bound and what each part did."""

    schedule: Schedule
    bound: int
    notes: list[str] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.schedule.makespan <= self.bound


def applies(problem: Problem, params: SolveParams) -> bool:
    """Plain job shops for makespan, and flexible ones on a single worker, not in the reproducible
    (deterministic work limit) mode. On flexible shops the tabu search also moves operations between
    machines; with two workers or more they get :func:`solve_flexible_makespan`."""
    if params.deterministic_time is not None or not tabu.applies(problem):
        return False
    return not problem.is_flexible() or params.num_workers < 2


def _full_model(
    problem: Problem, params: SolveParams, hint: Schedule, limit_s: float, workers: int, seed: int
) -> tuple[ModelVars, cp_model.CpSolver]:
    """The full makespan model hinted with ``hint``, and a solver for it with ``workers`` workers."""
    mv = build_model(problem, horizon=hint.makespan)
    assert mv.makespan is not None
    mv.model.minimize(mv.makespan)
    mv.add_hint(problem, hint)
    solver = solver_for(params, limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if workers == 1:
        # a single worker alternates between its subsolvers (LNS among them) instead of one tree search
        solver.parameters.interleave_search = True
        solver.parameters.use_lns = True
    return mv, solver


def _cp_sat(
    problem: Problem, params: SolveParams, hint: Schedule, limit_s: float, workers: int, seed: int
) -> _CpResult:
    mv, solver = _full_model(problem, params, hint, limit_s, workers, seed)
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
    end: float,
    workers: int,
    seed: int,
) -> None:
    result = _cp_sat(problem, params, hint, end - time.perf_counter(), workers, seed)
    out.schedule, out.bound, out.optimal = result.schedule, result.bound, result.optimal
    if result.optimal:
        stop.set()  # nothing left for the tabu search to find


def solve_makespan(
    problem: Problem, params: SolveParams, start: Schedule, deadline: float
) -> PortfolioResult:
    """Improve ``start`` until ``deadline`` (perf_counter); see the module docstring."""
    bound = makespan_lower_bound(problem)
    if start.makespan <= bound:
        return PortfolioResult(start, bound, ["the start schedule meets the lower bound"])
    t_begin = time.perf_counter()
    flexible = problem.is_flexible()
    phase1_end = t_begin + TABU_SHARE * max(0.0, deadline - t_begin)
    seed = params.random_seed
    cp = _CpResult()
    stop = threading.Event()
    if params.num_workers >= 2:
        args = (cp, stop, problem, params, start, phase1_end, params.num_workers - 1, seed)
        thread = threading.Thread(target=_cp_into, args=args, daemon=True)
        thread.start()
        ts = tabu.improve(
            problem, start, deadline=phase1_end, seed=seed, lower_bound=bound, stop=stop, reassign=flexible
        )
        thread.join()
    else:
        ts = tabu.improve(
            problem, start, deadline=phase1_end, seed=seed, lower_bound=bound, reassign=flexible
        )
    best = _better(problem, ts.schedule, cp.schedule)
    bound = max(bound, cp.bound)
    notes = [
        f"phase 1: tabu {ts.schedule.makespan} ({ts.steps} steps), "
        f"CP-SAT {cp.schedule.makespan if cp.schedule else '-'} (bound {cp.bound})"
    ]
    # a CP-SAT optimum has raised the bound to its makespan
    if best.makespan > bound and time.perf_counter() < deadline - 0.05:
        cp = _cp_sat(problem, params, best, deadline - time.perf_counter(), params.num_workers, seed + 7919)
        bound = max(bound, cp.bound)
        best = _better(problem, best, cp.schedule)
        notes.append(f"phase 2: CP-SAT {cp.schedule.makespan if cp.schedule else '-'} (bound {cp.bound})")
    return PortfolioResult(best, min(bound, best.makespan), notes)


class _Incumbents(cp_model.CpSolverSolutionCallback):
    """Keeps the full model's latest solution for the LNS loop in the other thread."""

    def __init__(self, problem: Problem, mv: ModelVars) -> None:
        super().__init__()
        self.problem, self.mv = problem, mv
        self.latest: Schedule | None = None
        self._lock = threading.Lock()

    def on_solution_callback(self) -> None:
        schedule = extract_schedule(self.problem, self.mv, self)
        with self._lock:
            self.latest = schedule

    def take(self) -> Schedule | None:
        with self._lock:
            return self.latest


def applies_flexible(problem: Problem, params: SolveParams) -> bool:
    """Flexible shops for makespan with at least two workers, not in the reproducible mode."""
    return params.deterministic_time is None and params.num_workers >= 2 and problem.is_flexible()


Search = Callable[[Problem, SolveParams, Schedule, float], PortfolioResult]


def makespan_search(problem: Problem, params: SolveParams) -> Search | None:
    """The search for a makespan problem: :func:`solve_flexible_makespan` for flexible shops on two
    workers or more, :func:`solve_makespan` (tabu search, then CP-SAT) for the job shops and single-worker
    flexible shops the tabu search handles, None where the single CP-SAT model is the search."""
    if applies_flexible(problem, params):
        return solve_flexible_makespan
    if applies(problem, params):
        return solve_makespan
    return None


def solve_flexible_makespan(
    problem: Problem, params: SolveParams, start: Schedule, deadline: float
) -> PortfolioResult:
    """Flexible job shops: the full CP-SAT model with ``num_workers − 1`` workers for the whole budget (it
    proves the bound and closes the instances it can) in a second thread, while the calling thread runs
    the tabu search with reassignment for ``FLEX_TABU_SHARE`` of the budget (where it applies), then LNS
    steps (``lns.py``) with one worker, each step starting from the better of its own incumbent and the
    full model's latest solution. With one worker the full model interleaves CP-SAT's subsolvers (its own
    LNS among them)."""
    bound = makespan_lower_bound(problem)
    if start.makespan <= bound:
        return PortfolioResult(start, bound, ["the start schedule meets the lower bound"])
    t_begin = time.perf_counter()
    limit_s = deadline - t_begin
    mv, solver = _full_model(problem, params, start, limit_s, params.num_workers - 1, params.random_seed)
    found = _Incumbents(problem, mv)
    stop = threading.Event()

    def full_model() -> None:
        if solver.solve(mv.model, found) == cp_model.OPTIMAL:
            stop.set()  # nothing left for the other searches to find

    thread = threading.Thread(target=full_model, daemon=True)
    thread.start()
    notes = []
    lns_start = start
    if tabu.applies(problem):
        ts = tabu.improve(
            problem,
            start,
            deadline=t_begin + FLEX_TABU_SHARE * limit_s,
            seed=params.random_seed,
            lower_bound=bound,
            stop=stop,
            reassign=True,
        )
        lns_start = ts.schedule
        notes.append(f"tabu {ts.schedule.makespan} ({ts.steps} steps)")
    lns_best = improve_makespan(
        problem, lns_start, params, deadline, lower_bound=bound, feed=found.take, stop=stop, workers=1
    )
    if not stop.is_set():
        solver.stop_search()
    thread.join()
    full = found.take()
    best = _better(problem, lns_best, full)
    # a proved optimum's bound is its makespan, and no schedule is shorter than that
    bound = max(bound, round(solver.best_objective_bound))
    notes.insert(0, f"full model {full.makespan if full else '-'} (bound {bound}), LNS {lns_best.makespan}")
    return PortfolioResult(best, min(bound, best.makespan), notes)


def _better(problem: Problem, best: Schedule, other: Schedule | None) -> Schedule:
    """``other`` if it is feasible and no longer than ``best``."""
    if other is None or check_schedule(problem, other) or other.makespan > best.makespan:
        return best
    return other
