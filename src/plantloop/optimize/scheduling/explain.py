"""Turns a schedule into reasons: machine utilisation (bottlenecks), the critical path, and why late jobs
are late (frePPLe's Problem/Constraint idea: capacity on machine X, precedence, release, material,
unavailability, a frozen operation, or simply the job's own lead time).

Every operation's start is explained by the constraint that is tight there: the previous operation of
its job ends then (precedence), the previous operation on its machine plus setup ends then (capacity),
an unavailable window ends then, or the release / material date / frozen start is then.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from plantloop.optimize.scheduling.problem import Assignment, OpKey, Problem, Schedule


class ConstraintKind(Enum):
    """What holds an operation back."""

    PRECEDENCE = "precedence"
    CAPACITY = "capacity"
    UNAVAILABILITY = "unavailability"
    RELEASE = "release"
    MATERIAL = "material"
    COMPONENT = "component"  # waits for a child work order (BOM component) to finish
    FROZEN = "frozen"
    LEAD_TIME = "lead_time"
    IDLE = "idle"  # nothing tight: the plan leaves slack here


@dataclass(frozen=True, slots=True)
class MachineLoad:
    machine: int
    label: str
    busy: int
    utilisation_pct: float


@dataclass(frozen=True, slots=True)
class Step:
    """One operation on a chain, with the constraint that fixes its start."""

    job: int
    op: int
    machine: int
    start: int
    end: int
    reason: ConstraintKind
    blocker: OpKey | None = None


@dataclass(frozen=True, slots=True)
class LateJob:
    job_id: str
    due: int
    end: int
    tardiness: int
    weighted_tardiness: int
    constraint: ConstraintKind
    machine: int | None
    detail: str


def utilisation(problem: Problem, schedule: Schedule) -> list[MachineLoad]:
    """Busy time per machine over [0, makespan], highest first (the bottlenecks lead)."""
    span = max(schedule.makespan, 1)
    busy = [0] * problem.n_machines
    for a in schedule.assignments:
        busy[a.machine] += a.end - a.start
    loads = [
        MachineLoad(m, problem.machine_label(m), busy[m], round(100.0 * busy[m] / span, 2))
        for m in range(problem.n_machines)
    ]
    return sorted(loads, key=lambda x: (-x.busy, x.machine))


def _why(problem: Problem, schedule: Schedule, a: Assignment) -> tuple[ConstraintKind, OpKey | None]:
    keyed = schedule.by_key()
    job = problem.jobs[a.job]
    if (a.job, a.op) in problem.frozen:
        return ConstraintKind.FROZEN, None
    if a.op > 0 and keyed[(a.job, a.op - 1)].end == a.start:
        return ConstraintKind.PRECEDENCE, (a.job, a.op - 1)
    for dep in problem.component_jobs((a.job, a.op)):
        last = len(problem.jobs[dep].operations) - 1
        if keyed[(dep, last)].end == a.start:
            return ConstraintKind.COMPONENT, (dep, last)
    cls = problem.setup_class((a.job, a.op))
    for b in schedule.assignments:
        if b.machine == a.machine and (b.job, b.op) != (a.job, a.op) and b.end > b.start:
            setup = problem.setup_time(a.machine, problem.setup_class((b.job, b.op)), cls)
            if b.end + setup == a.start and b.start <= a.start:
                return ConstraintKind.CAPACITY, (b.job, b.op)
    for u in problem.unavailable:
        if u.machine == a.machine and u.end == a.start:
            return ConstraintKind.UNAVAILABILITY, None
    if a.start == job.release and job.release > 0:
        return ConstraintKind.RELEASE, None
    if a.start == job.operations[a.op].earliest_start and a.start > 0:
        return ConstraintKind.MATERIAL, None
    if a.start == 0:
        return ConstraintKind.RELEASE, None
    return ConstraintKind.IDLE, None


def chain(problem: Problem, schedule: Schedule, last: OpKey) -> list[Step]:
    """Walk back from ``last`` along tight constraints; returned in time order."""
    keyed = schedule.by_key()
    out: list[Step] = []
    seen: set[OpKey] = set()
    key: OpKey | None = last
    while key is not None and key not in seen:
        seen.add(key)
        a = keyed[key]
        reason, blocker = _why(problem, schedule, a)
        out.append(Step(a.job, a.op, a.machine, a.start, a.end, reason, blocker))
        key = blocker
    return list(reversed(out))


def critical_path(problem: Problem, schedule: Schedule) -> list[Step]:
    """The chain of tight constraints that ends at the makespan."""
    if not schedule.assignments:
        return []
    last = max(schedule.assignments, key=lambda a: (a.end, -a.job))
    return chain(problem, schedule, (last.job, last.op))


def late_jobs(problem: Problem, schedule: Schedule) -> list[LateJob]:
    """Every job that ends after its due date, with the constraint that makes it late."""
    out: list[LateJob] = []
    for j, job in enumerate(problem.jobs):
        if job.due is None:
            continue
        end = schedule.job_end(j)
        if end <= job.due:
            continue
        steps = chain(problem, schedule, (j, len(job.operations) - 1))
        # the latest step on the chain that is not the job's own precedence is what holds it back
        cause = next((s for s in reversed(steps) if s.reason is not ConstraintKind.PRECEDENCE), None)
        if cause is None or (cause.job == j and cause.reason is ConstraintKind.RELEASE and cause.op == 0):
            kind, machine, detail = (
                ConstraintKind.LEAD_TIME,
                None,
                "its own work does not fit before the due date",
            )
            if cause is not None and job.release > 0:
                kind, detail = ConstraintKind.RELEASE, f"released at {job.release}"
        else:
            kind, machine = cause.reason, cause.machine
            detail = _detail(problem, cause)
        tard = end - job.due
        out.append(LateJob(job.id, job.due, end, tard, tard * job.weight, kind, machine, detail))
    return sorted(out, key=lambda x: -x.weighted_tardiness)


def _detail(problem: Problem, step: Step) -> str:
    label = problem.machine_label(step.machine)
    if step.reason is ConstraintKind.CAPACITY and step.blocker is not None:
        other = problem.jobs[step.blocker[0]].id
        return f"capacity on {label}: waits for job {other}"
    if step.reason is ConstraintKind.UNAVAILABILITY:
        return f"{label} unavailable until {step.start}"
    if step.reason is ConstraintKind.MATERIAL:
        return f"material for job {problem.jobs[step.job].id} op {step.op} available at {step.start}"
    if step.reason is ConstraintKind.COMPONENT and step.blocker is not None:
        other = problem.jobs[step.blocker[0]].id
        return f"waits for component order {other}"
    if step.reason is ConstraintKind.FROZEN:
        return f"frozen operation on {label}"
    return f"{step.reason.value} at {step.start}"
