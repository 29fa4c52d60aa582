"""Large-neighbourhood search over the CP-SAT model, for instances the full model does not close.

Each step keeps the incumbent's machine choice and machine order for every operation outside a
neighbourhood (a random time window, a random set of machines, or a random set of jobs) and lets CP-SAT
re-optimise the rest for a short time with the incumbent as hint. Equal-or-better schedules are accepted;
the neighbourhood grows when steps are closed to optimality and shrinks when they time out. Seeded, so a
run is reproducible for a given seed and time budget up to the solver's own timing.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.model import build_model
from plantloop.optimize.scheduling.problem import OpKey, Problem, Schedule
from plantloop.optimize.scheduling.runner import SolveParams, extract_schedule, solver_for


def _neighbourhood(problem: Problem, incumbent: Schedule, rng: random.Random, size: int) -> set[OpKey]:
    by_start = sorted(incumbent.assignments, key=lambda a: a.start)
    n = len(by_start)
    size = max(2, min(size, n))
    kind = rng.randrange(3)
    if kind == 0:  # time window
        i = rng.randrange(max(1, n - size + 1))
        return {(a.job, a.op) for a in by_start[i : i + size]}
    if kind == 1:  # machines
        machines = list({a.machine for a in incumbent.assignments})
        rng.shuffle(machines)
        chosen: set[int] = set()
        count = 0
        per_machine: dict[int, int] = {}
        for a in incumbent.assignments:
            per_machine[a.machine] = per_machine.get(a.machine, 0) + 1
        for m in machines:
            if count >= size:
                break
            chosen.add(m)
            count += per_machine[m]
        # operations that may run on a chosen machine are all relaxed
        return {
            (a.job, a.op)
            for a in incumbent.assignments
            if any(o.machine in chosen for o in problem.op((a.job, a.op)).options)
        }
    jobs = list(range(len(problem.jobs)))
    rng.shuffle(jobs)
    out: set[OpKey] = set()
    for j in jobs:
        if len(out) >= size:
            break
        out.update((j, o) for o in range(len(problem.jobs[j].operations)))
    return out


def improve_makespan(
    problem: Problem,
    incumbent: Schedule,
    params: SolveParams,
    deadline: float,
    lower_bound: int = 0,
    *,
    feed: Callable[[], Schedule | None] | None = None,
    stop: threading.Event | None = None,
    workers: int | None = None,
) -> Schedule:
    """Run LNS steps until ``deadline`` (perf_counter), until ``lower_bound`` is reached or ``stop`` is set.

    ``feed`` offers another search's latest schedule before every step: a strictly shorter one (checked)
    replaces the incumbent. ``workers`` overrides ``params.num_workers`` for the steps."""
    rng = random.Random(params.random_seed)
    best = incumbent
    size = max(10, min(problem.n_ops // 4, 60))
    step_s = 0.5
    while True:
        left = deadline - time.perf_counter()
        if left < 0.2 or best.makespan <= lower_bound or (stop is not None and stop.is_set()):
            return best
        offered = feed() if feed is not None else None
        if offered is not None and offered.makespan < best.makespan and not check_schedule(problem, offered):
            best = offered
        free = _neighbourhood(problem, best, rng, size)
        mv = build_model(problem, horizon=best.makespan, redundant=False)
        model = mv.model
        for a in best.assignments:
            key = (a.job, a.op)
            if key in free:
                continue
            for m, lit in mv.presence.get(key, {}).items():
                model.add(lit == (1 if m == a.machine else 0))
        for seq in best.machine_sequences().values():
            for prev, nxt in itertools.pairwise(seq):
                if (prev.job, prev.op) not in free and (nxt.job, nxt.op) not in free:
                    model.add(
                        mv.start[(nxt.job, nxt.op)] >= mv.start[(prev.job, prev.op)] + (prev.end - prev.start)
                    )
        assert mv.makespan is not None
        # lexicographic: makespan first, then the sum of job ends, which compacts plateaus so later steps move
        weight = len(problem.jobs) * best.makespan + 1
        model.minimize(weight * mv.makespan + sum(mv.job_end.values()))
        mv.add_hint(problem, best)
        solver = solver_for(params, min(step_s, left))
        if workers is not None:
            solver.parameters.num_workers = workers
        solver.parameters.random_seed = rng.randrange(1 << 30)
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            cand = extract_schedule(problem, mv, solver)
            if _key(cand) <= _key(best) and not check_schedule(problem, cand):
                best = cand
        if status == cp_model.OPTIMAL:
            size = min(problem.n_ops, int(size * 1.1) + 1)
        else:
            size = max(8, int(size * 0.9))


def _key(schedule: Schedule) -> tuple[int, int]:
    ends: dict[int, int] = {}
    for a in schedule.assignments:
        ends[a.job] = max(ends.get(a.job, 0), a.end)
    return (schedule.makespan, sum(ends.values()))
