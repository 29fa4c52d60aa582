"""The scheduling problem and its answer as plain data: a flexible job shop with MES extensions.

A :class:`Problem` holds jobs (release, due date, weight, product family), each an ordered list of
:class:`Operation` s with alternative ``(machine, duration)`` :class:`Option` s, sequence-dependent setup
times per machine by *setup class* (an operation's class defaults to its job's family; a plant uses the
product and routing step), the class each machine is set up for at time 0, machine unavailable intervals
(shifts off, maintenance, breakdowns), frozen operations (already started: fixed machine and start),
earliest starts (purchased material availability) and component links: an operation that consumes the
output of another job (a child work order of the BOM) starts after that job ends.

Times are integers: seconds for a plant, the file's time units for benchmark instances. Jobs, operations
and machines are addressed by 0-based position internally; ``Problem.machine_base`` keeps the machine
numbering of the source (0 for JSSP files, 1 for Brandimarte files) so output can use it.

A :class:`Schedule` is one :class:`Assignment` per operation. Nothing here does I/O or calls a solver.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from plantloop.kernel.errors import InvalidInput

OpKey = tuple[int, int]
"""(job index, operation index)."""


class SchedulingInputError(InvalidInput):
    """A problem or schedule that is not well formed (API: 422)."""

    code = "scheduling_invalid_input"


class Objective(Enum):
    """What the solver minimises.

    ``TARDINESS_AND_FLOW`` is the plant objective: ``TARDINESS_OVER_FLOW`` · Σ weight · tardiness + Σ
    (end − release) over jobs — on-time delivery first, then short lead times (a weighted sum, not a
    strict lexicographic order, so that one solve covers both). ``ON_TIME_AND_FLOW`` adds
    ``LATE_ORDER_PENALTY`` · Σ weight over late jobs in front: the count of late orders is what a plant's
    on-time delivery measures, tardiness alone would rather make two orders a little late than one a lot.
    ``TARDINESS_THEN_MAKESPAN`` is strictly lexicographic (two solves).
    """

    MAKESPAN = "makespan"
    WEIGHTED_TARDINESS = "weighted_tardiness"
    TARDINESS_THEN_MAKESPAN = "tardiness_then_makespan"
    TARDINESS_AND_FLOW = "tardiness_and_flow"
    ON_TIME_AND_FLOW = "on_time_and_flow"


#: In ``TARDINESS_AND_FLOW``, one time unit of weighted tardiness costs as much as this many of flow time.
TARDINESS_OVER_FLOW = 10
#: In ``ON_TIME_AND_FLOW``, a late job (per unit of weight) costs as much as this many time units of flow
#: (plant problems count in minutes: ten hours of lead time, or an hour of tardiness).
LATE_ORDER_PENALTY = 600


@dataclass(frozen=True, slots=True)
class Option:
    """One way to run an operation: on ``machine`` for ``duration`` time units."""

    machine: int
    duration: int


@dataclass(frozen=True, slots=True)
class Operation:
    """One step of a job; ``earliest_start`` models material availability, ``after_jobs`` components.

    ``setup_class`` keys the machine's setup matrix (``None``: the job's family); ``after_jobs`` names jobs
    whose output this operation consumes, so it starts after they end (jobs not in the problem are done).
    """

    options: tuple[Option, ...]
    earliest_start: int = 0
    name: str = ""
    setup_class: str | None = None
    after_jobs: tuple[str, ...] = ()

    def min_duration(self) -> int:
        return min(o.duration for o in self.options)

    def mean_duration(self) -> float:
        return sum(o.duration for o in self.options) / len(self.options)

    def duration_on(self, machine: int) -> int:
        for o in self.options:
            if o.machine == machine:
                return o.duration
        raise SchedulingInputError("machine is not an option of this operation", machine=machine)


@dataclass(frozen=True, slots=True)
class Job:
    """An order to make: operations run in the given order."""

    id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    family: str = ""

    def total_min_work(self) -> int:
        return sum(op.min_duration() for op in self.operations)


@dataclass(frozen=True, slots=True)
class Unavailability:
    """Machine ``machine`` cannot work in ``[start, end)`` (shift off, maintenance, breakdown)."""

    machine: int
    start: int
    end: int
    reason: str = "unavailable"


@dataclass(frozen=True, slots=True)
class FrozenOp:
    """An operation already started: it keeps this machine and this start."""

    machine: int
    start: int


@dataclass(frozen=True, slots=True)
class Problem:
    """A flexible job shop; see the module docstring."""

    jobs: tuple[Job, ...]
    n_machines: int
    machine_base: int = 0
    machine_names: tuple[str, ...] = ()
    #: setup time per machine, keyed by (from family, to family); missing pairs mean no setup.
    setups: Mapping[int, Mapping[tuple[str, str], int]] = field(default_factory=dict)
    unavailable: tuple[Unavailability, ...] = ()
    frozen: Mapping[OpKey, FrozenOp] = field(default_factory=dict)
    name: str = ""
    #: the setup class each machine is set up for at time 0 (missing: no setup before its first operation)
    initial_setup: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_machines <= 0:
            raise SchedulingInputError("a problem needs at least one machine", n_machines=self.n_machines)
        for job in self.jobs:
            if not job.operations:
                raise SchedulingInputError("a job needs at least one operation", job_id=job.id)
            for o, op in enumerate(job.operations):
                if not op.options:
                    raise SchedulingInputError("an operation needs an option", job_id=job.id, op=o)
                for opt in op.options:
                    if not 0 <= opt.machine < self.n_machines or opt.duration < 0:
                        raise SchedulingInputError(
                            "bad option", job_id=job.id, op=o, machine=opt.machine, duration=opt.duration
                        )
        for key, fz in self.frozen.items():
            j, o = key
            if not (0 <= j < len(self.jobs) and 0 <= o < len(self.jobs[j].operations)):
                raise SchedulingInputError("frozen operation does not exist", op=key)
            if all(opt.machine != fz.machine for opt in self.jobs[j].operations[o].options):
                raise SchedulingInputError("frozen machine is not an option", op=key, machine=fz.machine)
        for u in self.unavailable:
            if u.end <= u.start or not 0 <= u.machine < self.n_machines:
                raise SchedulingInputError("bad unavailable interval", machine=u.machine, start=u.start)
        self._check_components()

    def _check_components(self) -> None:
        """Component links must name other jobs and must not form a cycle."""
        ids = {job.id for job in self.jobs}
        if len(ids) != len(self.jobs):
            raise SchedulingInputError("job ids must be unique", problem=self.name)
        deps: dict[str, set[str]] = {}
        for job in self.jobs:
            for op in job.operations:
                for dep in op.after_jobs:
                    if dep == job.id:
                        raise SchedulingInputError("a job cannot wait for itself", job_id=job.id)
                    if dep in ids:
                        deps.setdefault(job.id, set()).add(dep)
        state: dict[str, int] = {}
        for start in deps:
            stack = [(start, iter(sorted(deps.get(start, ()))))]
            state[start] = state.get(start, 0) or 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child, 0) == 1:
                    raise SchedulingInputError("component links form a cycle", job_id=child)
                elif state.get(child, 0) == 0:
                    state[child] = 1
                    stack.append((child, iter(sorted(deps.get(child, ())))))

    # ---- lookups -------------------------------------------------------------------------------------
    @property
    def n_ops(self) -> int:
        return sum(len(j.operations) for j in self.jobs)

    def op_keys(self) -> Iterator[OpKey]:
        for j, job in enumerate(self.jobs):
            for o in range(len(job.operations)):
                yield (j, o)

    def op(self, key: OpKey) -> Operation:
        return self.jobs[key[0]].operations[key[1]]

    def setup_time(self, machine: int, from_class: str, to_class: str) -> int:
        table = self.setups.get(machine)
        if not table:
            return 0
        return table.get((from_class, to_class), 0)

    def setup_class(self, key: OpKey) -> str:
        """The class keying the setup matrix for this operation (its own, else its job's family)."""
        op = self.jobs[key[0]].operations[key[1]]
        return op.setup_class if op.setup_class is not None else self.jobs[key[0]].family

    def initial_setup_time(self, machine: int, key: OpKey) -> int:
        """Setup before ``key`` when it is the first operation on ``machine`` (from ``initial_setup``)."""
        initial = self.initial_setup.get(machine)
        return 0 if initial is None else self.setup_time(machine, initial, self.setup_class(key))

    def component_jobs(self, key: OpKey) -> list[int]:
        """Indices of the jobs (present in the problem) whose output operation ``key`` consumes."""
        deps = self.jobs[key[0]].operations[key[1]].after_jobs
        if not deps:
            return []
        index = {job.id: j for j, job in enumerate(self.jobs)}
        return [index[d] for d in deps if d in index]

    def has_setups(self, machine: int | None = None) -> bool:
        machines = [machine] if machine is not None else list(self.setups)
        return any(any(v > 0 for v in self.setups.get(m, {}).values()) for m in machines)

    def machine_label(self, machine: int) -> str:
        if self.machine_names:
            return self.machine_names[machine]
        return f"M{machine + self.machine_base}"

    def job_index(self, job_id: str) -> int:
        for j, job in enumerate(self.jobs):
            if job.id == job_id:
                return j
        raise SchedulingInputError("unknown job", job_id=job_id)

    def with_changes(self, **changes: object) -> Problem:
        return replace(self, **changes)  # type: ignore[arg-type]

    def is_flexible(self) -> bool:
        return any(len(op.options) > 1 for job in self.jobs for op in job.operations)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where and when one operation runs."""

    job: int
    op: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """One assignment per operation of a problem."""

    assignments: tuple[Assignment, ...]

    def by_key(self) -> dict[OpKey, Assignment]:
        return {(a.job, a.op): a for a in self.assignments}

    @property
    def makespan(self) -> int:
        return max((a.end for a in self.assignments), default=0)

    def job_end(self, job: int) -> int:
        return max((a.end for a in self.assignments if a.job == job), default=0)

    def weighted_tardiness(self, problem: Problem) -> int:
        ends: dict[int, int] = {}
        for a in self.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        total = 0
        for j, job in enumerate(problem.jobs):
            if job.due is not None:
                total += job.weight * max(0, ends.get(j, 0) - job.due)
        return total

    def weighted_late(self, problem: Problem) -> int:
        """Σ weight over jobs that end after their due date."""
        return sum(
            job.weight
            for j, job in enumerate(problem.jobs)
            if job.due is not None and self.job_end(j) > job.due
        )

    def flow_time(self, problem: Problem) -> int:
        """Σ (end − release) over jobs: the total lead time."""
        ends: dict[int, int] = {}
        for a in self.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        return sum(ends.get(j, 0) - job.release for j, job in enumerate(problem.jobs))

    def value(self, problem: Problem, objective: Objective) -> int:
        if objective is Objective.MAKESPAN:
            return self.makespan
        if objective is Objective.TARDINESS_AND_FLOW:
            return TARDINESS_OVER_FLOW * self.weighted_tardiness(problem) + self.flow_time(problem)
        if objective is Objective.ON_TIME_AND_FLOW:
            return (
                LATE_ORDER_PENALTY * self.weighted_late(problem)
                + TARDINESS_OVER_FLOW * self.weighted_tardiness(problem)
                + self.flow_time(problem)
            )
        return self.weighted_tardiness(problem)

    def machine_sequences(self) -> dict[int, list[Assignment]]:
        seqs: dict[int, list[Assignment]] = {}
        for a in sorted(self.assignments, key=lambda a: (a.start, a.end, a.job, a.op)):
            seqs.setdefault(a.machine, []).append(a)
        return seqs

    def start_times(self, problem: Problem) -> list[list[list[int]]]:
        """Per job, per operation ``[machine, start]`` with machines in the source's numbering."""
        keyed = self.by_key()
        return [
            [
                [keyed[(j, o)].machine + problem.machine_base, keyed[(j, o)].start]
                for o in range(len(job.operations))
            ]
            for j, job in enumerate(problem.jobs)
        ]
