"""Rescheduling on disruption: previous schedule + current time + disruptions → a new, stable plan.

Operations that started before ``now`` are frozen (machine and start), unless a machine-down window
overlaps them: a breakdown aborts the running operation, which is then run again from scratch. Every other
operation may start at ``now`` at the earliest. The new plan minimises

    primary_weight · objective + Σ |start − previous start| + machine_change_weight · (machine changed)

so only what must move moves. The hint is a right-shift repair of the previous plan (same machines, same
order, pushed later where needed), which is also a valid fallback plan. Disruptions: machine down for an
interval, rush job inserted, job cancelled, job changed (replaced by a new definition with the same id),
quantity scrapped (the job's open operations take proportionally longer).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.model import ModelVars
from plantloop.optimize.scheduling.problem import (
    FrozenOp,
    Job,
    Objective,
    OpKey,
    Option,
    Problem,
    Schedule,
    SchedulingInputError,
    Unavailability,
)
from plantloop.optimize.scheduling.rules import list_schedule
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import Plan, SolveStatus, _plan, run


@dataclass(frozen=True, slots=True)
class MachineDown:
    machine: int
    start: int
    end: int
    reason: str = "breakdown"


@dataclass(frozen=True, slots=True)
class RushJobInserted:
    job: Job


@dataclass(frozen=True, slots=True)
class JobCancelled:
    job_id: str


@dataclass(frozen=True, slots=True)
class JobChanged:
    """The job with ``job.id`` is replaced by ``job`` (due date, weight, operations may all change)."""

    job: Job


@dataclass(frozen=True, slots=True)
class QuantityScrapped:
    """Part of the job's quantity was scrapped: its open operations take ``1 + extra_fraction`` longer."""

    job_id: str
    extra_fraction: float


Disruption = MachineDown | RushJobInserted | JobCancelled | JobChanged | QuantityScrapped


@dataclass(frozen=True, slots=True)
class ReschedulePolicy:
    """How to trade the objective against stability; weights default to scale-free choices (see below)."""

    objective: Objective = Objective.MAKESPAN
    time_limit_s: float = 5.0
    num_workers: int = 2
    random_seed: int = 0
    #: weight of the objective; default = number of open operations (one time unit of makespan is worth
    #: moving every open operation by one time unit)
    primary_weight: int | None = None
    #: cost of moving an operation to another machine; default = the mean operation duration
    machine_change_weight: int | None = None


@dataclass(frozen=True, slots=True)
class RescheduleResult:
    plan: Plan
    problem: Problem
    moved_ops: int
    machine_changes: int
    total_start_deviation: int
    frozen_ops: int
    repaired: Schedule


def apply_disruptions(
    problem: Problem,
    disruptions: list[Disruption] | tuple[Disruption, ...],
    started: frozenset[tuple[str, int]] = frozenset(),
) -> Problem:
    """The problem after the disruptions; scrap adds work only to operations not in ``started``.

    Frozen operations are set afterwards by :func:`freeze`.
    """
    jobs = list(problem.jobs)
    unavailable = list(problem.unavailable)
    for d in disruptions:
        if isinstance(d, MachineDown):
            unavailable.append(Unavailability(d.machine, d.start, d.end, d.reason))
        elif isinstance(d, RushJobInserted):
            if any(j.id == d.job.id for j in jobs):
                raise SchedulingInputError("job id already exists", job_id=d.job.id)
            jobs.append(d.job)
        elif isinstance(d, JobCancelled):
            jobs = [j for j in jobs if j.id != d.job_id]
        elif isinstance(d, JobChanged):
            jobs = [d.job if j.id == d.job.id else j for j in jobs]
        elif isinstance(d, QuantityScrapped):
            jobs = [_scaled(j, d.extra_fraction, started) if j.id == d.job_id else j for j in jobs]
    return replace(problem, jobs=tuple(jobs), unavailable=tuple(unavailable), frozen={})


def _scaled(job: Job, fraction: float, started: frozenset[tuple[str, int]]) -> Job:
    def grow(option: Option) -> Option:
        return Option(option.machine, math.ceil(option.duration * (1 + fraction)))

    ops = tuple(
        op if (job.id, i) in started else replace(op, options=tuple(grow(o) for o in op.options))
        for i, op in enumerate(job.operations)
    )
    return replace(job, operations=ops)


def _previous_by_id(old: Problem, previous: Schedule) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(job id, op) → (machine, start, end) of the previous schedule."""
    return {(old.jobs[a.job].id, a.op): (a.machine, a.start, a.end) for a in previous.assignments}


def freeze(problem: Problem, prev: dict[tuple[str, int], tuple[int, int, int]], now: int) -> Problem:
    """Freeze started operations (not aborted by a breakdown); open operations start at ``now`` or later."""
    frozen: dict[OpKey, FrozenOp] = {}
    jobs = []
    for j, job in enumerate(problem.jobs):
        ops = list(job.operations)
        for o, op in enumerate(job.operations):
            p = prev.get((job.id, o))
            started = p is not None and p[1] < now and (o == 0 or (j, o - 1) in frozen)
            if started and p is not None:
                machine, start, _ = p
                valid = any(x.machine == machine for x in op.options)
                end = start + (op.duration_on(machine) if valid else 0)
                aborted = any(
                    u.machine == machine and u.start < end and start < u.end and end > u.start
                    for u in problem.unavailable
                )
                if valid and not aborted:
                    frozen[(j, o)] = FrozenOp(machine=machine, start=start)
                    continue
            ops[o] = replace(op, earliest_start=max(op.earliest_start, now))
        jobs.append(replace(job, operations=tuple(ops)))
    return replace(problem, jobs=tuple(jobs), frozen=frozen)


def repair(
    problem: Problem, prev: dict[tuple[str, int], tuple[int, int, int]], switch_penalty: int | None = None
) -> Schedule:
    """Right-shift repair: previous machines and order, never earlier than before, later where needed;
    with ``switch_penalty`` a pushed operation moves to another machine that ends it that much earlier."""
    prio: dict[OpKey, int] = {}
    machines: dict[OpKey, int] = {}
    jobs = []
    for j, job in enumerate(problem.jobs):
        ops = list(job.operations)
        for o, op in enumerate(job.operations):
            p = prev.get((job.id, o))
            if p is not None:
                prio[(j, o)] = p[1]
                machines[(j, o)] = p[0]
                ops[o] = replace(op, earliest_start=max(op.earliest_start, p[1]))
            else:
                prio[(j, o)] = max(job.release, op.earliest_start)
        jobs.append(replace(job, operations=tuple(ops)))
    shifted = replace(problem, jobs=tuple(jobs))
    return list_schedule(
        shifted,
        lambda j, o, c: (float(prio[(j, o)]),),
        non_delay=False,
        preferred_machine=machines,
        switch_penalty=switch_penalty,
    )


def reschedule(
    problem: Problem,
    previous: Schedule,
    now: int,
    disruptions: list[Disruption] | tuple[Disruption, ...],
    policy: ReschedulePolicy | None = None,
) -> RescheduleResult:
    """Build the disrupted problem, freeze what started, and re-solve with a stability term."""
    policy = policy or ReschedulePolicy()
    t0 = time.perf_counter()
    prev = _previous_by_id(problem, previous)
    started = frozenset(k for k, (_, start, _) in prev.items() if start < now)
    new = freeze(apply_disruptions(problem, disruptions, started), prev, now)
    open_keys = [k for k in new.op_keys() if k not in new.frozen]
    durations = [x.duration for k in open_keys for x in new.op(k).options]
    primary_weight = policy.primary_weight or max(1, len(open_keys))
    change_weight = policy.machine_change_weight
    if change_weight is None:
        change_weight = round(sum(durations) / len(durations)) if durations else 1
    repaired = min(
        (repair(new, prev), repair(new, prev, switch_penalty=change_weight)),
        key=lambda s: s.value(
            new, policy.objective if policy.objective is Objective.MAKESPAN else Objective.WEIGHTED_TARDINESS
        ),
    )

    def stability(mv: ModelVars) -> cp_model.LinearExprT:
        terms: list[cp_model.LinearExprT] = []
        for key in open_keys:
            p = prev.get((new.jobs[key[0]].id, key[1]))
            if p is None:
                continue
            dev = mv.model.new_int_var(0, mv.horizon, "")
            mv.model.add(dev >= mv.start[key] - p[1])
            mv.model.add(dev >= p[1] - mv.start[key])
            terms.append(dev)
            lit = mv.presence.get(key, {}).get(p[0])
            if lit is not None:
                terms.append(change_weight * (1 - lit))
        return sum(terms)

    params = SolveParams(
        time_limit_s=policy.time_limit_s, num_workers=policy.num_workers, random_seed=policy.random_seed
    )
    primary = Objective.MAKESPAN if policy.objective is Objective.MAKESPAN else Objective.WEIGHTED_TARDINESS
    horizon = max(repaired.makespan, 1) * 2 + max((u.end for u in new.unavailable), default=0)
    budget = policy.time_limit_s - (time.perf_counter() - t0)
    sched, _, _, optimal = run(
        new,
        primary,
        params,
        incumbent=repaired,
        horizon=horizon,
        hook=stability,
        time_limit_s=budget,
        primary_weight=primary_weight,
    )
    chosen = repaired
    status = SolveStatus.HEURISTIC
    if sched is not None and not check_schedule(new, sched):
        chosen = sched
        status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    value = chosen.value(new, primary)
    plan = _plan(new, primary, chosen, value, 0, status, t0, repaired.value(new, primary), [])
    moved, changes, deviation = _moves(new, prev, chosen)
    return RescheduleResult(plan, new, moved, changes, deviation, len(new.frozen), repaired)


def _moves(
    problem: Problem, prev: dict[tuple[str, int], tuple[int, int, int]], schedule: Schedule
) -> tuple[int, int, int]:
    """(moved operations, machine changes, total |start deviation|) against the previous plan."""
    moved = changes = deviation = 0
    for a in schedule.assignments:
        p = prev.get((problem.jobs[a.job].id, a.op))
        if p is None:
            continue
        if p[0] != a.machine or p[1] != a.start:
            moved += 1
        changes += p[0] != a.machine
        deviation += abs(p[1] - a.start)
    return moved, changes, deviation


def count_moves(problem: Problem, old: Problem, previous: Schedule, schedule: Schedule) -> int:
    """Moved operations of ``schedule`` (for ``problem``) against ``previous`` (for ``old``)."""
    return _moves(problem, _previous_by_id(old, previous), schedule)[0]
