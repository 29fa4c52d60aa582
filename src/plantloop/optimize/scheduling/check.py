"""An independent feasibility checker: a schedule against its problem, returning every violation found.

It shares no code with the model or the rules, so a bug in either shows up here. Zero-length operations
(they exist, e.g. orb07) do not occupy their machine, as in CP-SAT's NoOverlap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

from plantloop.optimize.scheduling.problem import Assignment, OpKey, Problem, Schedule


class ViolationKind(Enum):
    """Which rule a schedule breaks."""

    MISSING = "missing"
    DUPLICATE = "duplicate"
    UNKNOWN_OPERATION = "unknown_operation"
    INVALID_MACHINE = "invalid_machine"
    WRONG_DURATION = "wrong_duration"
    PRECEDENCE = "precedence"
    OVERLAP = "overlap"
    SETUP = "setup"
    UNAVAILABLE = "unavailable"
    RELEASE = "release"
    EARLIEST_START = "earliest_start"
    COMPONENT = "component"
    FROZEN = "frozen"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, with the operation it is about."""

    kind: ViolationKind
    job: int
    op: int
    message: str


def check_schedule(problem: Problem, schedule: Schedule) -> list[Violation]:
    """Return all violations of ``schedule`` against ``problem`` (empty list = feasible)."""
    out: list[Violation] = []
    seen: dict[OpKey, Assignment] = {}
    for a in schedule.assignments:
        key = (a.job, a.op)
        if not (0 <= a.job < len(problem.jobs) and 0 <= a.op < len(problem.jobs[a.job].operations)):
            out.append(Violation(ViolationKind.UNKNOWN_OPERATION, a.job, a.op, "no such operation"))
            continue
        if key in seen:
            out.append(Violation(ViolationKind.DUPLICATE, a.job, a.op, "operation scheduled twice"))
            continue
        seen[key] = a
    for key in problem.op_keys():
        if key not in seen:
            out.append(Violation(ViolationKind.MISSING, key[0], key[1], "operation not scheduled"))
    for key, a in seen.items():
        out.extend(_check_operation(problem, key, a))
    out.extend(_check_precedence(problem, seen))
    out.extend(_check_machines(problem, seen))
    return out


def _check_operation(problem: Problem, key: OpKey, a: Assignment) -> list[Violation]:
    out: list[Violation] = []
    job = problem.jobs[key[0]]
    op = job.operations[key[1]]
    durations = {o.machine: o.duration for o in op.options}
    if a.machine not in durations:
        out.append(Violation(ViolationKind.INVALID_MACHINE, *key, f"machine {a.machine} is not an option"))
    elif a.end - a.start != durations[a.machine]:
        out.append(
            Violation(
                ViolationKind.WRONG_DURATION, *key, f"runs {a.end - a.start}, needs {durations[a.machine]}"
            )
        )
    frozen = problem.frozen.get(key)
    if frozen is not None:
        if frozen.machine != a.machine or frozen.start != a.start:
            out.append(Violation(ViolationKind.FROZEN, *key, "frozen operation was moved"))
        return out
    if a.start < job.release:
        out.append(Violation(ViolationKind.RELEASE, *key, f"starts {a.start} before release {job.release}"))
    if a.start < op.earliest_start:
        out.append(
            Violation(ViolationKind.EARLIEST_START, *key, f"starts {a.start} before {op.earliest_start}")
        )
    return out


def _check_precedence(problem: Problem, seen: dict[OpKey, Assignment]) -> list[Violation]:
    out: list[Violation] = []
    ends: dict[str, int] = {}
    for (j, _), a in seen.items():
        ends[problem.jobs[j].id] = max(ends.get(problem.jobs[j].id, 0), a.end)
    for j, job in enumerate(problem.jobs):
        for o in range(1, len(job.operations)):
            prev, cur = seen.get((j, o - 1)), seen.get((j, o))
            if prev is not None and cur is not None and cur.start < prev.end:
                out.append(Violation(ViolationKind.PRECEDENCE, j, o, f"starts {cur.start} before {prev.end}"))
        for o, op in enumerate(job.operations):
            cur = seen.get((j, o))
            if cur is None or (j, o) in problem.frozen:
                continue
            for dep in op.after_jobs:
                if dep in ends and cur.start < ends[dep]:
                    out.append(
                        Violation(
                            ViolationKind.COMPONENT,
                            j,
                            o,
                            f"starts {cur.start} before job {dep} ends {ends[dep]}",
                        )
                    )
    return out


def _check_machines(problem: Problem, seen: dict[OpKey, Assignment]) -> list[Violation]:
    out: list[Violation] = []
    per_machine: dict[int, list[Assignment]] = {}
    for a in seen.values():
        if a.end > a.start:
            per_machine.setdefault(a.machine, []).append(a)
    for machine, items in per_machine.items():
        items.sort(key=lambda a: (a.start, a.end))
        first = items[0]
        initial = problem.initial_setup.get(machine)
        if initial is not None and (first.job, first.op) not in problem.frozen:
            setup = problem.setup_time(machine, initial, problem.setup_class((first.job, first.op)))
            if first.start < setup:
                out.append(
                    Violation(ViolationKind.SETUP, first.job, first.op, f"needs {setup} setup from {initial}")
                )
        for prev, cur in itertools.pairwise(items):
            if cur.start < prev.end:
                out.append(
                    Violation(
                        ViolationKind.OVERLAP,
                        cur.job,
                        cur.op,
                        f"overlaps job {prev.job} on machine {machine}",
                    )
                )
                continue
            setup = problem.setup_time(
                machine, problem.setup_class((prev.job, prev.op)), problem.setup_class((cur.job, cur.op))
            )
            if cur.start < prev.end + setup:
                out.append(
                    Violation(
                        ViolationKind.SETUP, cur.job, cur.op, f"needs {setup} setup after job {prev.job}"
                    )
                )
        for u in problem.unavailable:
            if u.machine != machine:
                continue
            for a in items:
                if a.start < u.end and u.start < a.end:
                    out.append(
                        Violation(
                            ViolationKind.UNAVAILABLE,
                            a.job,
                            a.op,
                            f"runs in [{u.start}, {u.end}) ({u.reason})",
                        )
                    )
    return out
