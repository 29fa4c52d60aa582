"""Builds the CP-SAT model of a :class:`Problem`; it does not solve it (that is ``solve.py``).

Formulation, per operation: one start variable shared by all its alternatives; each alternative is an
optional fixed-size interval on its machine (a single-option operation gets a plain fixed-size interval,
no literal); ``end = start + Σ duration·presence``. Per machine one NoOverlap over its intervals and its
unavailable windows; where the machine has sequence-dependent setups an add_circuit over the optional
intervals adds ``start_j ≥ end_i + setup(i, j)`` on the chosen arcs (and ``start_j ≥ setup(initial, j)``
on the arc from the depot, for the class the machine is set up for at time 0). Component links add
``start ≥ end of the component job``. Frozen operations get fixed start and machine. Redundant
constraint for flexible problems: a cumulative over all operations with the number of machines as
capacity. The makespan lower bound from machine loads and job lengths (:func:`makespan_lower_bound`) is
reported beside CP-SAT's bound, not put in the model (see ``build_model``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.problem import OpKey, Problem, Schedule


@dataclass(slots=True)
class ModelVars:
    """The model and the handles other rooms need (objectives, hints, stability terms)."""

    model: cp_model.CpModel
    horizon: int
    start: dict[OpKey, cp_model.IntVar] = field(default_factory=dict)
    end: dict[OpKey, cp_model.LinearExprT] = field(default_factory=dict)
    #: presence literal per (op, machine); single-option operations have none (always on that machine)
    presence: dict[OpKey, dict[int, cp_model.IntVar]] = field(default_factory=dict)
    job_end: dict[int, cp_model.IntVar] = field(default_factory=dict)
    #: duration and end variables of operations whose alternatives differ in duration
    duration: dict[OpKey, tuple[cp_model.IntVar, cp_model.IntVar]] = field(default_factory=dict)
    makespan: cp_model.IntVar | None = None
    tardiness: dict[int, cp_model.IntVar] = field(default_factory=dict)
    #: per job with a due date: true when it ends late
    late: dict[int, cp_model.IntVar] = field(default_factory=dict)
    #: setup circuits: machine → (arc literals keyed by (from, to) with None = depot, "empty" literal)
    circuits: dict[int, tuple[dict[tuple[OpKey | None, OpKey | None], cp_model.IntVar], cp_model.IntVar]] = (
        field(default_factory=dict)
    )

    def weighted_tardiness(self, problem: Problem) -> cp_model.LinearExprT:
        return sum(problem.jobs[j].weight * t for j, t in self.tardiness.items())

    def weighted_late(self, problem: Problem) -> cp_model.LinearExprT:
        return sum(problem.jobs[j].weight * u for j, u in self.late.items())

    def flow_time(self, problem: Problem) -> cp_model.LinearExprT:
        """Σ (end − release): the constant releases are dropped (they do not change the optimum)."""
        return sum(self.job_end.values())

    def add_hint(self, problem: Problem, schedule: Schedule) -> None:
        by_key = schedule.by_key()
        for key, var in self.start.items():
            a = by_key.get(key)
            if a is None:
                continue
            self.model.add_hint(var, a.start)
            for m, lit in self.presence.get(key, {}).items():
                self.model.add_hint(lit, 1 if m == a.machine else 0)
            if key in self.duration:
                dur, end = self.duration[key]
                self.model.add_hint(dur, a.end - a.start)
                self.model.add_hint(end, a.end)
        for j, var in self.job_end.items():
            self.model.add_hint(var, schedule.job_end(j))
        if self.makespan is not None:
            self.model.add_hint(self.makespan, schedule.makespan)
        for j, var in self.tardiness.items():
            due = problem.jobs[j].due
            self.model.add_hint(var, max(0, schedule.job_end(j) - due) if due is not None else 0)
        for j, var in self.late.items():
            due = problem.jobs[j].due
            self.model.add_hint(var, 1 if due is not None and schedule.job_end(j) > due else 0)
        sequences = schedule.machine_sequences()
        for machine, (arcs, empty) in self.circuits.items():
            seq = [(a.job, a.op) for a in sequences.get(machine, [])]
            on: set[tuple[OpKey | None, OpKey | None]] = set()
            if seq:
                on.add((None, seq[0]))
                on.add((seq[-1], None))
                on.update(itertools.pairwise(seq))
            self.model.add_hint(empty, 0 if seq else 1)
            for arc, lit in arcs.items():
                self.model.add_hint(lit, 1 if arc in on else 0)


def safe_horizon(problem: Problem) -> int:
    """An end time that some feasible schedule always meets (used when no incumbent bounds it)."""
    earliest = [job.release for job in problem.jobs]
    earliest += [op.earliest_start for job in problem.jobs for op in job.operations]
    earliest += [u.end for u in problem.unavailable]
    earliest += [fz.start + problem.op(k).duration_on(fz.machine) for k, fz in problem.frozen.items()]
    max_setup = max((v for tab in problem.setups.values() for v in tab.values()), default=0)
    work = sum(
        max(o.duration for o in op.options) + max_setup for job in problem.jobs for op in job.operations
    )
    return max(earliest, default=0) + work + 1


def makespan_lower_bound(problem: Problem) -> int:
    """Job lengths and machine loads with the smallest head and tail (valid without frozen ops)."""
    lb = 0
    heads: dict[OpKey, int] = {}
    tails: dict[OpKey, int] = {}
    for j, job in enumerate(problem.jobs):
        t = job.release
        for o, op in enumerate(job.operations):
            t = max(t, op.earliest_start)
            heads[(j, o)] = t
            t += op.min_duration()
        lb = max(lb, t)
        rest = 0
        for o in range(len(job.operations) - 1, -1, -1):
            tails[(j, o)] = rest
            rest += job.operations[o].min_duration()
    if problem.frozen or problem.unavailable:
        return lb
    fixed: dict[int, list[OpKey]] = {}
    for key in problem.op_keys():
        opts = problem.op(key).options
        if len(opts) == 1:
            fixed.setdefault(opts[0].machine, []).append(key)
    for keys in fixed.values():
        load = sum(problem.op(k).options[0].duration for k in keys)
        lb = max(lb, min(heads[k] for k in keys) + load + min(tails[k] for k in keys))
    return lb


def build_model(problem: Problem, *, horizon: int, redundant: bool = True) -> ModelVars:
    """Create variables and constraints; the caller sets the objective."""
    model = cp_model.CpModel()
    mv = ModelVars(model=model, horizon=horizon)
    per_machine: dict[int, list[tuple[OpKey, cp_model.IntervalVar, int, cp_model.IntVar | None]]] = {}
    master: list[cp_model.IntervalVar] = []
    for j, job in enumerate(problem.jobs):
        for o, op in enumerate(job.operations):
            key = (j, o)
            frozen = problem.frozen.get(key)
            lo = max(job.release, op.earliest_start) if frozen is None else frozen.start
            hi = horizon - op.min_duration() if frozen is None else frozen.start
            start = model.new_int_var(lo, max(lo, hi), f"s{j}_{o}")
            mv.start[key] = start
            options = op.options
            if frozen is not None:
                options = tuple(x for x in op.options if x.machine == frozen.machine)
            if len(options) == 1:
                d = options[0].duration
                iv = model.new_fixed_size_interval_var(start, d, f"i{j}_{o}")
                per_machine.setdefault(options[0].machine, []).append((key, iv, d, None))
                mv.end[key] = start + d
                master.append(iv)
                continue
            lits: dict[int, cp_model.IntVar] = {}
            for opt in options:
                lit = model.new_bool_var(f"x{j}_{o}_{opt.machine}")
                iv = model.new_optional_fixed_size_interval_var(
                    start, opt.duration, lit, f"i{j}_{o}_{opt.machine}"
                )
                per_machine.setdefault(opt.machine, []).append((key, iv, opt.duration, lit))
                lits[opt.machine] = lit
            model.add_exactly_one(lits.values())
            mv.presence[key] = lits
            durations = sorted({x.duration for x in options})
            if len(durations) == 1:
                mv.end[key] = start + durations[0]
                master.append(model.new_fixed_size_interval_var(start, durations[0], f"m{j}_{o}"))
            else:
                dur = model.new_int_var_from_domain(cp_model.Domain.from_values(durations), f"d{j}_{o}")
                model.add(dur == sum(x.duration * lits[x.machine] for x in options))
                end = model.new_int_var(lo + durations[0], max(lo, hi) + durations[-1], f"e{j}_{o}")
                master.append(model.new_interval_var(start, dur, end, f"m{j}_{o}"))
                mv.end[key] = end
                mv.duration[key] = (dur, end)
        for o in range(1, len(job.operations)):
            model.add(mv.start[(j, o)] >= mv.end[(j, o - 1)])
        last = (j, len(job.operations) - 1)
        job_end = model.new_int_var(0, horizon, f"c{j}")
        model.add(job_end == mv.end[last])
        mv.job_end[j] = job_end
        if job.due is not None:
            tard = model.new_int_var(0, max(0, horizon - job.due), f"t{j}")
            model.add(tard >= job_end - job.due)
            mv.tardiness[j] = tard
            late = model.new_bool_var(f"late{j}")
            model.add(job_end <= job.due).only_enforce_if(late.negated())
            model.add(tard == 0).only_enforce_if(late.negated())
            mv.late[j] = late
    index = {job.id: j for j, job in enumerate(problem.jobs)}
    for j, job in enumerate(problem.jobs):
        for o, op in enumerate(job.operations):
            if (j, o) in problem.frozen:
                continue
            for dep in op.after_jobs:
                if dep in index:
                    model.add(mv.start[(j, o)] >= mv.job_end[index[dep]])
    for u in problem.unavailable:
        iv = model.new_fixed_size_interval_var(u.start, u.end - u.start, f"u{u.machine}_{u.start}")
        per_machine.setdefault(u.machine, []).append(((-1, -1), iv, u.end - u.start, None))
    for machine, items in per_machine.items():
        model.add_no_overlap([iv for _, iv, _, _ in items])
        if problem.has_setups(machine) or machine in problem.initial_setup:
            _add_setup_circuit(problem, mv, machine, [(k, d, lit) for k, _, d, lit in items if k[0] >= 0])
    # No lower bound in the makespan's domain (nor as a constraint): with one, CP-SAT's linear relaxation
    # stopped raising the bound — measured on ta10, 940 (the bound itself) against 1105 without it after
    # 15 s. Callers report max(CP-SAT's bound, makespan_lower_bound).
    mv.makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(mv.makespan, list(mv.job_end.values()))
    if redundant and problem.is_flexible() and not problem.frozen:
        used = len({x.machine for job in problem.jobs for op in job.operations for x in op.options})
        model.add_cumulative(master, [1] * len(master), used)
    return mv


def _add_setup_circuit(
    problem: Problem, mv: ModelVars, machine: int, items: list[tuple[OpKey, int, cp_model.IntVar | None]]
) -> None:
    model = mv.model
    arcs: list[tuple[int, int, cp_model.LiteralT]] = []
    named: dict[tuple[OpKey | None, OpKey | None], cp_model.IntVar] = {}
    empty = model.new_bool_var(f"empty{machine}")
    arcs.append((0, 0, empty))
    for i, (key, _, lit) in enumerate(items, start=1):
        if lit is not None:
            model.add_implication(empty, lit.negated())
            arcs.append((i, i, lit.negated()))
        else:
            model.add(empty == 0)
        named[(None, key)] = model.new_bool_var("")
        named[(key, None)] = model.new_bool_var("")
        arcs.append((0, i, named[(None, key)]))
        arcs.append((i, 0, named[(key, None)]))
        first_setup = problem.initial_setup_time(machine, key)
        if first_setup > 0 and key not in problem.frozen:
            model.add(mv.start[key] >= first_setup).only_enforce_if(named[(None, key)])
    classes = [problem.setup_class(k) for k, _, _ in items]
    for i, (ki, di, _) in enumerate(items, start=1):
        fi = classes[i - 1]
        for k, (kk, _, _) in enumerate(items, start=1):
            if i == k:
                continue
            arc = model.new_bool_var("")
            named[(ki, kk)] = arc
            arcs.append((i, k, arc))
            setup = problem.setup_time(machine, fi, classes[k - 1])
            model.add(mv.start[kk] >= mv.start[ki] + di + setup).only_enforce_if(arc)
    model.add_circuit(arcs)
    mv.circuits[machine] = (named, empty)
