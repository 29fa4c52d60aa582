"""Builds the CP-SAT model of a :class:`Problem`; it does not solve it (that is ``solve.py``).

Formulation, per operation: one start variable shared by all its alternatives; each alternative is an
optional fixed-size interval on its machine (a single-option operation gets a plain fixed-size interval,
no literal); ``end = start + Σ duration·presence``. Per machine one NoOverlap over its intervals and its
unavailable windows; where the machine has sequence-dependent setups an AddCircuit over the optional
intervals adds ``start_j ≥ end_i + setup(i, j)`` on the chosen arcs. Frozen operations get fixed start and
machine. Redundant constraints that tighten the bound: a makespan lower bound from machine loads with heads
and tails and from job lengths, and, for flexible problems, a cumulative over all operations with the
number of machines as capacity.
"""

from __future__ import annotations

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
    makespan: cp_model.IntVar | None = None
    tardiness: dict[int, cp_model.IntVar] = field(default_factory=dict)

    def weighted_tardiness(self, problem: Problem) -> cp_model.LinearExprT:
        return sum(problem.jobs[j].weight * t for j, t in self.tardiness.items())

    def add_hint(self, problem: Problem, schedule: Schedule) -> None:
        by_key = schedule.by_key()
        for key, var in self.start.items():
            a = by_key.get(key)
            if a is None:
                continue
            self.model.AddHint(var, a.start)
            for m, lit in self.presence.get(key, {}).items():
                self.model.AddHint(lit, 1 if m == a.machine else 0)
        for j, var in self.job_end.items():
            self.model.AddHint(var, schedule.job_end(j))
        if self.makespan is not None:
            self.model.AddHint(self.makespan, schedule.makespan)
        for j, var in self.tardiness.items():
            due = problem.jobs[j].due
            self.model.AddHint(var, max(0, schedule.job_end(j) - due) if due is not None else 0)


def safe_horizon(problem: Problem) -> int:
    """An end time that some feasible schedule always meets (used when no incumbent bounds it)."""
    earliest = [job.release for job in problem.jobs]
    earliest += [op.earliest_start for job in problem.jobs for op in job.operations]
    earliest += [u.end for u in problem.unavailable]
    earliest += [fz.start + problem.op(k).duration_on(fz.machine) for k, fz in problem.frozen.items()]
    max_setup = max((v for tab in problem.setups.values() for v in tab.values()), default=0)
    work = sum(max(o.duration for o in op.options) + max_setup for job in problem.jobs for op in job.operations)
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
            start = model.NewIntVar(lo, max(lo, hi), f"s{j}_{o}")
            mv.start[key] = start
            options = op.options
            if frozen is not None:
                options = tuple(x for x in op.options if x.machine == frozen.machine)
            if len(options) == 1:
                d = options[0].duration
                iv = model.NewFixedSizeIntervalVar(start, d, f"i{j}_{o}")
                per_machine.setdefault(options[0].machine, []).append((key, iv, d, None))
                mv.end[key] = start + d
                master.append(iv)
                continue
            lits: dict[int, cp_model.IntVar] = {}
            for opt in options:
                lit = model.NewBoolVar(f"x{j}_{o}_{opt.machine}")
                iv = model.NewOptionalFixedSizeIntervalVar(start, opt.duration, lit, f"i{j}_{o}_{opt.machine}")
                per_machine.setdefault(opt.machine, []).append((key, iv, opt.duration, lit))
                lits[opt.machine] = lit
            model.AddExactlyOne(lits.values())
            mv.presence[key] = lits
            durations = sorted({x.duration for x in options})
            if len(durations) == 1:
                mv.end[key] = start + durations[0]
                master.append(model.NewFixedSizeIntervalVar(start, durations[0], f"m{j}_{o}"))
            else:
                dur = model.NewIntVarFromDomain(cp_model.Domain.FromValues(durations), f"d{j}_{o}")
                model.Add(dur == sum(x.duration * lits[x.machine] for x in options))
                end = model.NewIntVar(lo + durations[0], max(lo, hi) + durations[-1], f"e{j}_{o}")
                master.append(model.NewIntervalVar(start, dur, end, f"m{j}_{o}"))
                mv.end[key] = end
        for o in range(1, len(job.operations)):
            model.Add(mv.start[(j, o)] >= mv.end[(j, o - 1)])
        last = (j, len(job.operations) - 1)
        job_end = model.NewIntVar(0, horizon, f"c{j}")
        model.Add(job_end == mv.end[last])
        mv.job_end[j] = job_end
        if job.due is not None:
            tard = model.NewIntVar(0, horizon, f"t{j}")
            model.Add(tard >= job_end - job.due)
            mv.tardiness[j] = tard
    for u in problem.unavailable:
        iv = model.NewFixedSizeIntervalVar(u.start, u.end - u.start, f"u{u.machine}_{u.start}")
        per_machine.setdefault(u.machine, []).append(((-1, -1), iv, u.end - u.start, None))
    for machine, items in per_machine.items():
        model.AddNoOverlap([iv for _, iv, _, _ in items])
        if problem.has_setups(machine):
            _add_setup_circuit(problem, mv, machine, [(k, d, lit) for k, _, d, lit in items if k[0] >= 0])
    lb = makespan_lower_bound(problem)
    mv.makespan = model.NewIntVar(min(lb, horizon), horizon, "makespan")
    model.AddMaxEquality(mv.makespan, list(mv.job_end.values()))
    if redundant and problem.is_flexible() and not problem.frozen:
        used = len({x.machine for job in problem.jobs for op in job.operations for x in op.options})
        model.AddCumulative(master, [1] * len(master), used)
    return mv


def _add_setup_circuit(
    problem: Problem, mv: ModelVars, machine: int, items: list[tuple[OpKey, int, cp_model.IntVar | None]]
) -> None:
    model = mv.model
    arcs: list[tuple[int, int, cp_model.LiteralT]] = []
    empty = model.NewBoolVar(f"empty{machine}")
    arcs.append((0, 0, empty))
    for i, (key, _, lit) in enumerate(items, start=1):
        present: cp_model.LiteralT = lit if lit is not None else model.NewConstant(1)
        model.AddImplication(empty, present.Not())
        arcs.append((0, i, model.NewBoolVar("")))
        arcs.append((i, 0, model.NewBoolVar("")))
        if lit is not None:
            arcs.append((i, i, lit.Not()))
        del key
    for i, (ki, di, _) in enumerate(items, start=1):
        fi = problem.jobs[ki[0]].family
        for k, (kk, _, _) in enumerate(items, start=1):
            if i == k or ki == kk:
                continue
            fk = problem.jobs[kk[0]].family
            arc = model.NewBoolVar("")
            arcs.append((i, k, arc))
            setup = problem.setup_time(machine, fi, fk)
            model.Add(mv.start[kk] >= mv.start[ki] + di + setup).OnlyEnforceIf(arc)
    model.AddCircuit(arcs)
