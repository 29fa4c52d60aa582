"""The plain CP-SAT baseline: OR-Tools' flexible job-shop sample formulation, for honest comparisons.

One interval per operation with its own start/duration/end, one optional interval per alternative with
its own start linked by ``only_enforce_if``, horizon = sum of the longest durations, no hint, no redundant
constraints, makespan objective. Same time limit, workers and seed as plantloop's solve. Makespan only;
no setups, unavailability or frozen operations (benchmark instances have none).
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.problem import Assignment, Problem, Schedule
from plantloop.optimize.scheduling.runner import SolveParams


def solve_plain(problem: Problem, params: SolveParams) -> tuple[Schedule | None, int, float]:
    """Return (schedule or None, best bound, wall time in seconds)."""
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(max(o.duration for o in op.options) for job in problem.jobs for op in job.operations)
    intervals: dict[int, list[cp_model.IntervalVar]] = {}
    starts: dict[tuple[int, int], cp_model.IntVar] = {}
    ends: dict[tuple[int, int], cp_model.IntVar] = {}
    chosen: dict[tuple[int, int], list[tuple[int, cp_model.IntVar | None]]] = {}
    for j, job in enumerate(problem.jobs):
        for o, op in enumerate(job.operations):
            dmin = min(x.duration for x in op.options)
            dmax = max(x.duration for x in op.options)
            start = model.new_int_var(0, horizon, f"s{j}_{o}")
            dur = model.new_int_var(dmin, dmax, f"d{j}_{o}")
            end = model.new_int_var(0, horizon, f"e{j}_{o}")
            model.new_interval_var(start, dur, end, f"i{j}_{o}")
            starts[(j, o)], ends[(j, o)] = start, end
            if len(op.options) == 1:
                x = op.options[0]
                machine_iv = model.new_interval_var(start, dur, end, f"a{j}_{o}")
                intervals.setdefault(x.machine, []).append(machine_iv)
                chosen[(j, o)] = [(x.machine, None)]
                continue
            lits = []
            options: list[tuple[int, cp_model.IntVar | None]] = []
            for x in op.options:
                lit = model.new_bool_var(f"p{j}_{o}_{x.machine}")
                s = model.new_int_var(0, horizon, "")
                e = model.new_int_var(0, horizon, "")
                iv = model.new_optional_interval_var(s, x.duration, e, lit, "")
                model.add(start == s).only_enforce_if(lit)
                model.add(dur == x.duration).only_enforce_if(lit)
                model.add(end == e).only_enforce_if(lit)
                intervals.setdefault(x.machine, []).append(iv)
                lits.append(lit)
                options.append((x.machine, lit))
            model.add_exactly_one(lits)
            chosen[(j, o)] = options
        for o in range(1, len(job.operations)):
            model.add(starts[(j, o)] >= ends[(j, o - 1)])
    for ivs in intervals.values():
        model.add_no_overlap(ivs)
    makespan = model.new_int_var(0, horizon, "makespan")
    last_ends = [ends[(j, len(job.operations) - 1)] for j, job in enumerate(problem.jobs)]
    model.add_max_equality(makespan, last_ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = params.time_limit_s
    solver.parameters.num_workers = params.num_workers
    solver.parameters.random_seed = params.random_seed
    solver.parameters.relative_gap_limit = 0.0
    solver.parameters.absolute_gap_limit = 0.0
    status = solver.solve(model)
    elapsed = time.perf_counter() - t0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, int(solver.best_objective_bound), elapsed
    out = []
    for key, options in chosen.items():
        machine = next(m for m, lit in options if lit is None or solver.boolean_value(lit))
        s_val = int(solver.value(starts[key]))
        d = problem.op(key).duration_on(machine)
        out.append(Assignment(job=key[0], op=key[1], machine=machine, start=s_val, end=s_val + d))
    return Schedule(assignments=tuple(out)), int(solver.best_objective_bound), elapsed
