"""Running CP-SAT: explicit parameters (time limit, workers, seed, zero gap tolerance) and reading a
solution back into a :class:`Schedule`. Shared by the one-shot solve, the LNS loop and rescheduling."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.model import ModelVars
from plantloop.optimize.scheduling.problem import Assignment, Problem, Schedule


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Explicit solver limits: wall time, parallel workers, seed.

    ``deterministic_time`` (CP-SAT's work units, roughly seconds on a fast core) stops the search by work
    done instead of wall time: with one worker and a fixed seed a run is then reproducible on any machine
    under any load (the simulator's closed loop needs that); the wall limit still applies as a safety net.
    """

    time_limit_s: float = 10.0
    deterministic_time: float | None = None
    num_workers: int = 2
    random_seed: int = 0
    use_hint: bool = True
    log: bool = False


def solver_for(params: SolveParams, time_limit_s: float | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.01, time_limit_s if time_limit_s is not None else params.time_limit_s)
    p.num_workers = params.num_workers
    p.random_seed = params.random_seed
    p.relative_gap_limit = 0.0
    p.absolute_gap_limit = 0.0
    p.log_search_progress = params.log
    if params.deterministic_time is not None:
        p.max_deterministic_time = params.deterministic_time
    # The incumbent comes from the dispatching rules (hint), so first-solution heuristics and generic
    # MIP helpers only take time from the scheduling LNS workers.
    for name in ("fj", "feasibility_pump", "ls", "rins/rens"):
        p.ignore_subsolvers.append(name)
    return solver


def extract_schedule(
    problem: Problem, mv: ModelVars, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback
) -> Schedule:
    """The schedule of the solver's last solution (or of the solution a callback is looking at)."""
    out = []
    for key, start_var in mv.start.items():
        start = int(solver.value(start_var))
        lits = mv.presence.get(key)
        frozen = problem.frozen.get(key)
        if lits:
            machine = next(m for m, lit in lits.items() if solver.boolean_value(lit))
        elif frozen is not None:
            machine = frozen.machine
        else:
            machine = problem.op(key).options[0].machine
        d = problem.op(key).duration_on(machine)
        out.append(Assignment(job=key[0], op=key[1], machine=machine, start=start, end=start + d))
    return Schedule(assignments=tuple(sorted(out, key=lambda a: (a.job, a.op))))
