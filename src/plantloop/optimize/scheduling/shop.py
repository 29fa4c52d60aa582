"""A plant's open work as a scheduling :class:`Problem`, plus the ids to map the answer back.

Both sources of plant state — the live MES read side (``from_mes.py``) and the simulator's snapshot
(``twin.py``) — describe the shop in the same neutral terms: :class:`OrderState` (due date, priority,
release, parent order), :class:`OperationState` (routing step, alternatives, quantity, standard times,
started or not, component orders it waits for) and :class:`MachineState` (work center, speed, what it last
ran, when it is free). :func:`build_shop_problem` turns them into a :class:`ShopProblem`:

- one job per work order with open operations; a started operation is frozen on its machine at time 0
  with its remaining time; child work orders (BOM components) are jobs of their own and the parent
  operation that consumes them waits for them (component links); only top-level orders carry due dates;
- every piece of equipment of every alternative work center is an option, its duration the standard run
  time over the equipment's speed;
- setups follow the routing: none when the machine ran the same product, the minor setup within a product
  family, the major setup otherwise (each over the machine's speed) — one setup class per product and
  routing step, the initial class from what each machine ran last;
- machine outages (planned maintenance, the maintenance module's predicted windows, breakdowns) are
  unavailable intervals; the shift calendar compresses the time axis (:mod:`timeaxis`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from plantloop.optimize.scheduling.problem import (
    FrozenOp,
    Job,
    Operation,
    OpKey,
    Option,
    Problem,
    SchedulingInputError,
    Unavailability,
)
from plantloop.optimize.scheduling.timeaxis import TimeAxis

#: weight of an order in weighted tardiness by priority (1 most urgent … 9)
PRIORITY_WEIGHTS: Mapping[int, int] = {1: 3, 2: 2}


@dataclass(frozen=True, slots=True)
class OrderState:
    """An open work order: ``due_s`` / ``released_s`` in seconds after the schedule's origin."""

    work_order_id: str
    material_id: str
    family: str
    due_s: float | None
    priority: int = 5
    released_s: float = 0.0
    parent_work_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class OperationState:
    """An open operation. Started ones name their equipment and the working seconds left."""

    operation_id: str
    work_order_id: str
    seq: int
    work_center_ids: tuple[str, ...]
    qty: float
    run_s_per_unit: float
    setup_s: float = 0.0
    minor_setup_s: float = 0.0
    started_on: str | None = None
    remaining_s: float | None = None
    after_work_orders: tuple[str, ...] = ()
    earliest_s: float = 0.0
    #: machine seconds the lot takes at this step besides setup and run (handling), whatever the speed;
    #: planned as part of the changeover into this operation, so that it is skipped where the machine just
    #: ran the same step of the same ``handling_group`` (a customer order's sub-lots; default: the order)
    fixed_s: float = 0.0
    handling_group: str | None = None


@dataclass(frozen=True, slots=True)
class MachineState:
    """One piece of equipment; ``available_s`` is when it can take new work (after a repair, say)."""

    equipment_id: str
    work_center_id: str
    speed_factor: float = 1.0
    last_material: str | None = None
    last_family: str | None = None
    available_s: float = 0.0
    #: the handling group and routing step of the last operation it ran: a lot of the same group at the
    #: same step continues without handling (``OperationState.fixed_s``)
    last_step: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Outage:
    """Equipment ``equipment_id`` is unavailable in ``[start_s, end_s)`` (seconds after the origin)."""

    equipment_id: str
    start_s: float
    end_s: float
    reason: str = "maintenance"


@dataclass(frozen=True)
class ShopProblem:
    """A :class:`Problem` and the plant ids of its jobs, operations and machines."""

    problem: Problem
    axis: TimeAxis
    operation_ids: Mapping[OpKey, str]
    equipment_ids: tuple[str, ...]
    work_center_of: Mapping[str, str]
    work_order_ids: tuple[str, ...] = ()
    top_level: frozenset[str] = field(default_factory=frozenset)

    @property
    def origin_at(self) -> datetime:
        return self.axis.origin_at

    def key_of(self) -> dict[str, OpKey]:
        return {op_id: key for key, op_id in self.operation_ids.items()}


def _class(material: str, seq: int, handling_group: str | None = None) -> str:
    """The setup class of a routing step; with a handling group, of one group's lots at that step."""
    return f"{material}@{seq}" if handling_group is None else f"{material}@{seq}#{handling_group}"


def build_shop_problem(
    orders: Iterable[OrderState],
    operations: Iterable[OperationState],
    machines: Sequence[MachineState],
    axis: TimeAxis,
    outages: Iterable[Outage] = (),
    *,
    name: str = "plant",
) -> ShopProblem:
    """See the module docstring. Operations of unknown orders or with no usable equipment are an error."""
    order_by_id = {o.work_order_id: o for o in orders}
    machine_index = {m.equipment_id: i for i, m in enumerate(machines)}
    by_wc: dict[str, list[int]] = {}
    for i, m in enumerate(machines):
        by_wc.setdefault(m.work_center_id, []).append(i)
    ops_by_order: dict[str, list[OperationState]] = {}
    for op in operations:
        if op.work_order_id not in order_by_id:
            raise SchedulingInputError("operation of an unknown work order", operation_id=op.operation_id)
        ops_by_order.setdefault(op.work_order_id, []).append(op)
    open_orders = sorted(ops_by_order, key=lambda w: (order_by_id[w].released_s, w))
    open_set = set(open_orders)
    # setup classes: product and routing step, and the handling group where lots cost handling
    # (material, family, major, minor, handling)
    classes: dict[str, tuple[str, str, float, float, float]] = {}
    jobs: list[Job] = []
    frozen: dict[OpKey, FrozenOp] = {}
    op_ids: dict[OpKey, str] = {}
    for j, wo_id in enumerate(open_orders):
        order = order_by_id[wo_id]
        steps = sorted(ops_by_order[wo_id], key=lambda o: o.seq)
        job_ops: list[Operation] = []
        for o, st in enumerate(steps):
            group = (st.handling_group or wo_id) if st.fixed_s > 0 else None
            cls = _class(order.material_id, st.seq, group)
            classes[cls] = (order.material_id, order.family, st.setup_s, st.minor_setup_s, st.fixed_s)
            key = (j, o)
            op_ids[key] = st.operation_id
            if st.started_on is not None:
                if st.started_on not in machine_index:
                    raise SchedulingInputError("started on unknown equipment", operation_id=st.operation_id)
                mi = machine_index[st.started_on]
                left = axis.duration_units(st.remaining_s if st.remaining_s is not None else 0.0)
                job_ops.append(Operation(options=(Option(mi, left),), name=st.operation_id, setup_class=cls))
                # a machine that is down resumes its operation when it is back
                back_s = machines[mi].available_s
                frozen[key] = FrozenOp(machine=mi, start=axis.to_units_ceil(back_s) if back_s > 0 else 0)
                continue
            options = _options(st, machines, by_wc, axis)
            if not options:
                raise SchedulingInputError(
                    "no equipment for operation",
                    operation_id=st.operation_id,
                    work_centers=st.work_center_ids,
                )
            job_ops.append(
                Operation(
                    options=options,
                    earliest_start=axis.to_units_ceil(st.earliest_s) if st.earliest_s > 0 else 0,
                    name=st.operation_id,
                    setup_class=cls,
                    after_jobs=tuple(w for w in st.after_work_orders if w in open_set),
                )
            )
        top = order.parent_work_order_id is None or order.parent_work_order_id not in order_by_id
        jobs.append(
            Job(
                id=wo_id,
                operations=tuple(job_ops),
                release=0,
                due=axis.to_units(order.due_s) if order.due_s is not None and top else None,
                weight=PRIORITY_WEIGHTS.get(order.priority, 1),
                family=order.family,
            )
        )
    setups, initial = _setups(machines, jobs, classes, axis)
    busy_until = {
        fz.machine: fz.start + jobs[k[0]].operations[k[1]].options[0].duration for k, fz in frozen.items()
    }
    unavailable = list(_unavailable(machines, outages, axis, machine_index, busy_until))
    problem = Problem(
        jobs=tuple(jobs),
        n_machines=len(machines),
        machine_names=tuple(m.equipment_id for m in machines),
        setups=setups,
        unavailable=tuple(unavailable),
        frozen=frozen,
        name=name,
        initial_setup=initial,
    )
    top_level = frozenset(w for w in open_orders if order_by_id[w].parent_work_order_id not in order_by_id)
    return ShopProblem(
        problem=problem,
        axis=axis,
        operation_ids=op_ids,
        equipment_ids=tuple(m.equipment_id for m in machines),
        work_center_of={m.equipment_id: m.work_center_id for m in machines},
        work_order_ids=tuple(open_orders),
        top_level=top_level,
    )


def _options(
    st: OperationState, machines: Sequence[MachineState], by_wc: Mapping[str, list[int]], axis: TimeAxis
) -> tuple[Option, ...]:
    out: list[Option] = []
    for wc in st.work_center_ids:
        for m in by_wc.get(wc, []):
            seconds = st.qty * st.run_s_per_unit / machines[m].speed_factor
            out.append(Option(m, axis.duration_units(seconds)))
    return tuple(out)


def _setups(
    machines: Sequence[MachineState],
    jobs: list[Job],
    classes: Mapping[str, tuple[str, str, float, float, float]],
    axis: TimeAxis,
) -> tuple[dict[int, dict[tuple[str, str], int]], dict[int, str]]:
    """Changeover matrix per machine over the classes that may run there, and each machine's initial class:
    the setup (none within a material, the minor one within a family) plus the lot's handling, which a
    machine skips only between lots of one class (same step of one handling group)."""
    on_machine: dict[int, set[str]] = {}
    for job in jobs:
        for op in job.operations:
            for opt in op.options:
                on_machine.setdefault(opt.machine, set()).add(op.setup_class or job.family)
    setups: dict[int, dict[tuple[str, str], int]] = {}
    initial: dict[int, str] = {}
    for m, present in on_machine.items():
        speed = machines[m].speed_factor
        froms = dict.fromkeys(present)
        last = machines[m].last_material
        if last is not None:
            step = machines[m].last_step
            ran = _class(last, step[1], step[0]) if step is not None else None
            # the class it just ran, if a lot of it waits (that lot pays no handling); else its product
            init = ran if ran in present else f"{last}@"
            initial[m] = init
            froms[init] = None
        table: dict[tuple[str, str], int] = {}
        for a in froms:
            mat_a, fam_a = (last or "", machines[m].last_family or "") if a.endswith("@") else classes[a][:2]
            for b in present:
                mat_b, fam_b, major, minor, handling = classes[b]
                if a == b:
                    continue
                setup = 0.0 if mat_a == mat_b else (minor if fam_a == fam_b else major) / speed
                units = axis.duration_units(setup + handling)
                if units > 0:
                    table[(a, b)] = units
        setups[m] = table
    return setups, initial


def _unavailable(
    machines: Sequence[MachineState],
    outages: Iterable[Outage],
    axis: TimeAxis,
    index: Mapping[str, int],
    busy_until: Mapping[int, int],
) -> Iterable[Unavailability]:
    """Down machines until they are back (a started operation there resumes right then, frozen).

    A planned or predicted outage that would cut into a started operation begins when that operation
    ends instead (maintenance waits for the running job; its length is kept).
    """
    for i, m in enumerate(machines):
        if m.available_s > 0:
            end = axis.to_units_ceil(m.available_s)
            if end > 0:
                yield Unavailability(i, 0, end, "down")
    for out in outages:
        if out.equipment_id not in index:
            raise SchedulingInputError("outage of unknown equipment", equipment_id=out.equipment_id)
        mi = index[out.equipment_id]
        start, end = max(0, axis.to_units(out.start_s)), axis.to_units_ceil(out.end_s)
        if end <= start:
            continue
        if start < busy_until.get(mi, 0):
            start, end = busy_until[mi], busy_until[mi] + (end - start)
        yield Unavailability(mi, start, end, out.reason)
