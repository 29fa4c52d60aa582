"""Dispatching rules: a list-scheduling simulation that always returns a feasible :class:`Schedule`.

At each step the next unscheduled operation of every job is placed, in a simulation, on its eligible
machine with the earliest completion (ties: shorter duration, lower machine). Non-delay mode keeps only
the operations that can start earliest and picks among them by the rule's priority; sequence mode (used
to repair a previous plan) ignores start times and follows the priority alone.

Machines are append-only: an operation goes after the last one placed on its machine, never into an
earlier idle gap, except that fixed blocks (unavailable intervals, frozen operations) are stepped over
when the operation plus its setups cannot fit before them. Setups are sequence dependent by setup class
(from the machine's initial class before its first operation). An operation that consumes another job's
output (component link) becomes a candidate only when that job is fully placed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from plantloop.optimize.scheduling.problem import Assignment, Objective, OpKey, Option, Problem, Schedule


class Rule(Enum):
    """Priority rules for the list scheduler."""

    FIFO = "fifo"
    SPT = "spt"
    EDD = "edd"
    MWKR = "mwkr"
    MOPNR = "mopnr"


@dataclass(slots=True)
class _Machine:
    ready: int = 0
    last_class: str | None = None
    # fixed blocks (start, end, setup class or None for unavailability), sorted by start
    blocks: tuple[tuple[int, int, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    duration: int
    machine: int
    ready: int


def _earliest_start(problem: Problem, ms: _Machine, machine: int, t0: int, duration: int, family: str) -> int:
    prev_end = ms.ready
    prev_fam = ms.last_class
    for bs, be, bfam in ms.blocks:
        if be <= ms.ready:
            continue
        setup_in = problem.setup_time(machine, prev_fam, family) if prev_fam is not None else 0
        s = max(t0, prev_end + setup_in)
        setup_out = problem.setup_time(machine, family, bfam) if bfam is not None else 0
        if s + duration + setup_out <= bs:
            return s
        prev_end = max(prev_end, be)
        if bfam is not None:
            prev_fam = bfam
    setup_in = problem.setup_time(machine, prev_fam, family) if prev_fam is not None else 0
    return max(t0, prev_end + setup_in)


def _machines(problem: Problem) -> list[_Machine]:
    blocks: list[list[tuple[int, int, str | None]]] = [[] for _ in range(problem.n_machines)]
    for u in problem.unavailable:
        blocks[u.machine].append((u.start, u.end, None))
    for (j, o), fz in problem.frozen.items():
        d = problem.jobs[j].operations[o].duration_on(fz.machine)
        blocks[fz.machine].append((fz.start, fz.start + d, problem.setup_class((j, o))))
    return [
        _Machine(last_class=problem.initial_setup.get(m), blocks=tuple(sorted(b, key=lambda x: (x[0], x[1]))))
        for m, b in enumerate(blocks)
    ]


PriorityFn = Callable[[int, int, _Candidate], tuple[float, ...]]


def list_schedule(
    problem: Problem,
    priority: PriorityFn,
    *,
    non_delay: bool = True,
    preferred_machine: Mapping[OpKey, int] | None = None,
    switch_penalty: int | None = None,
) -> Schedule:
    """Run the list-scheduling simulation with ``priority(job, op, candidate)`` (lower goes first).

    With ``preferred_machine`` an operation stays on its preferred machine; with ``switch_penalty`` too,
    it moves to another option when that ends more than ``switch_penalty`` earlier (rerouting around a
    machine that went down).
    """
    machines = _machines(problem)
    n = len(problem.jobs)
    next_op = [0] * n
    job_ready = [max(job.release, 0) for job in problem.jobs]
    placed: list[Assignment] = []
    cand: list[_Candidate | None] = [None] * n
    dirty = set(range(n))
    # which jobs' current candidate may use a machine
    watchers: list[set[int]] = [set() for _ in range(problem.n_machines)]
    remaining = problem.n_ops
    index = {job.id: j for j, job in enumerate(problem.jobs)}
    # component links: job → jobs waiting for it; done_at[j] once every operation of j is placed
    waiting_for: list[list[int]] = [[] for _ in range(n)]
    for j, job in enumerate(problem.jobs):
        for op in job.operations:
            for dep in op.after_jobs:
                if dep in index:
                    waiting_for[index[dep]].append(j)
    done_at: list[int | None] = [None] * n

    def advance_frozen(j: int) -> None:
        job = problem.jobs[j]
        while next_op[j] < len(job.operations) and (j, next_op[j]) in problem.frozen:
            o = next_op[j]
            fz = problem.frozen[(j, o)]
            d = job.operations[o].duration_on(fz.machine)
            placed.append(Assignment(job=j, op=o, machine=fz.machine, start=fz.start, end=fz.start + d))
            job_ready[j] = max(job_ready[j], fz.start + d)
            next_op[j] += 1
        if next_op[j] == len(job.operations):
            done_at[j] = job_ready[j]

    for j in range(n):
        advance_frozen(j)
    remaining -= len(placed)

    def candidate(j: int) -> _Candidate | None:
        job = problem.jobs[j]
        o = next_op[j]
        if o >= len(job.operations):
            return None
        op = job.operations[o]
        t0 = max(job_ready[j], op.earliest_start)
        for dep in op.after_jobs:
            if dep in index:
                dep_done = done_at[index[dep]]
                if dep_done is None:
                    return None  # its component is not placed yet
                t0 = max(t0, dep_done)
        cls = problem.setup_class((j, o))

        def best_of(options: tuple[Option, ...]) -> _Candidate | None:
            best: _Candidate | None = None
            for opt in options:
                s = _earliest_start(problem, machines[opt.machine], opt.machine, t0, opt.duration, cls)
                c = _Candidate(s, s + opt.duration, opt.duration, opt.machine, t0)
                if best is None or (c.end, c.duration, c.machine) < (best.end, best.duration, best.machine):
                    best = c
            return best

        if preferred_machine is not None and (j, o) in preferred_machine:
            pm = preferred_machine[(j, o)]
            kept = best_of(tuple(x for x in op.options if x.machine == pm) or op.options)
            if switch_penalty is None or kept is None or kept.start <= t0:
                return kept
            other = best_of(op.options)
            if other is not None and other.end + switch_penalty < kept.end:
                return other
            return kept
        return best_of(op.options)

    while remaining > 0:
        for j in dirty:
            cand[j] = candidate(j)
            o = next_op[j]
            if o < len(problem.jobs[j].operations):
                for opt in problem.jobs[j].operations[o].options:
                    watchers[opt.machine].add(j)
        dirty = set()
        live = [(j, c) for j, c in enumerate(cand) if c is not None]
        if non_delay:
            t_min = min(c.start for _, c in live)
            live = [(j, c) for j, c in live if c.start == t_min]
        j, c = min(live, key=lambda jc: (*priority(jc[0], next_op[jc[0]], jc[1]), jc[1].end, jc[0]))
        o = next_op[j]
        placed.append(Assignment(job=j, op=o, machine=c.machine, start=c.start, end=c.end))
        remaining -= 1
        ms = machines[c.machine]
        ms.ready = c.end
        ms.last_class = problem.setup_class((j, o))
        job_ready[j] = c.end
        next_op[j] += 1
        before = len(placed)
        advance_frozen(j)
        remaining -= len(placed) - before
        dirty = set(watchers[c.machine])
        watchers[c.machine] = set()
        dirty.add(j)
        if done_at[j] is not None:
            dirty.update(waiting_for[j])
    return Schedule(assignments=tuple(sorted(placed, key=lambda a: (a.job, a.op))))


def _rule_priority(problem: Problem, rule: Rule) -> PriorityFn:
    work_after: list[list[float]] = []
    for job in problem.jobs:
        acc = 0.0
        rest: list[float] = []
        for op in reversed(job.operations):
            acc += op.mean_duration()
            rest.append(acc)
        work_after.append(list(reversed(rest)))

    def prio(j: int, o: int, c: _Candidate) -> tuple[float, ...]:
        if rule is Rule.FIFO:
            return (float(c.ready),)
        if rule is Rule.SPT:
            return (float(c.duration),)
        if rule is Rule.EDD:
            due = problem.jobs[j].due
            return (float(due) if due is not None else math.inf,)
        if rule is Rule.MWKR:
            return (-work_after[j][o],)
        return (-float(len(problem.jobs[j].operations) - o), -work_after[j][o])

    return prio


def dispatch(problem: Problem, rule: Rule) -> Schedule:
    """Schedule ``problem`` with one non-delay dispatching rule."""
    return list_schedule(problem, _rule_priority(problem, rule))


def best_rule_schedule(
    problem: Problem, objective: Objective = Objective.MAKESPAN, rules: tuple[Rule, ...] | None = None
) -> tuple[Rule, Schedule]:
    """Run several rules and keep the best schedule for ``objective`` (ties: makespan, then rule order)."""
    chosen = rules or (Rule.MWKR, Rule.MOPNR, Rule.SPT, Rule.FIFO, Rule.EDD)
    best: tuple[Rule, Schedule] | None = None
    best_key: tuple[int, int] | None = None
    for rule in chosen:
        sched = dispatch(problem, rule)
        key = (sched.value(problem, objective), sched.makespan)
        if best_key is None or key < best_key:
            best, best_key = (rule, sched), key
    assert best is not None
    return best
