"""Dispatch and maintenance policies: how the plant is steered, through published dispatch lists.

A policy's :data:`DispatchRule` receives a :class:`PlantSnapshot` and returns dispatch entries; the plant
publishes them through the gateway with ``PublishDispatchLists`` (versioned) and then executes whatever the
gateway lists, so a better list gives better results. ``pm_interval_fraction`` switches preventive
maintenance on (every that fraction of the mean operating time between failures).

- ``baseline``: first-in first-out at the preferred work center, run to failure.
- ``atcs``: Apparent Tardiness Cost with Setups (Lee, Bhaskaran & Pinedo 1997) — weighted shortest
  processing time discounted by slack and by the setup from the last family — with least-slack order
  for the tail of the list, balancing across alternative work centers; preventive maintenance by hours.
- ``aps``: plantloop's finite-capacity scheduler (CP-SAT, ``optimize/scheduling/twin.py``) plans all open
  work over alternative equipment, setups, shifts and outages on every order release, every hour and
  when a machine goes down or comes back, and publishes the plan as pinned dispatch lists.
- ``pdm``, ``quality``, ``analytics``: FIFO plus plantloop's maintenance and/or quality analytics acting
  on the plant (``sim/analytics_policies.py``).
- ``loop``: the whole closed loop — ``aps`` planning around predictive-maintenance windows, releasing
  large orders as sub-lots that flow on their own (lot streaming), plus the maintenance and quality
  analytics. ``loop-whole`` is the same with every order released as one lot, and ``split`` is FIFO with
  the loop's sub-lots: the two halves of the loop's lead-time gain, measured apart.
  ``make_policy(name, rule=my_rule)`` wraps any other rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from plantloop.kernel.errors import InvalidInput
from plantloop.mes.domain.commands import Command, DispatchEntry, PublishDispatchLists

if TYPE_CHECKING:
    from plantloop.optimize.proposals import Proposal
    from plantloop.sim.hooks import PlantHook


@dataclass(frozen=True, slots=True)
class OperationView:
    """An open operation that has not started, as a scheduler sees it."""

    operation_id: str
    work_order_id: str
    material_id: str
    family: str
    work_center_id: str
    alternatives: tuple[str, ...]
    ready: bool
    run_s: float
    setup_s: float
    minor_setup_s: float
    remaining_s: float
    due_s: float
    priority: int
    released_s: float
    order_index: int
    equipment_id: str | None = None
    #: routing step number, quantity entering the step and standard run seconds per unit (at speed 1)
    seq: int = 0
    qty: float = 0.0
    run_s_per_unit: float = 0.0
    #: child work orders (BOM components) not finished yet whose lots this operation consumes
    after_work_orders: tuple[str, ...] = ()
    parent_work_order_id: str | None = None
    #: running operations only: expected working seconds left (setup and run at standard speed)
    remaining_work_s: float | None = None
    #: when a hold on the order's lot, or on a component lot it consumes, is expected to end (sim
    #: seconds; 0 when nothing it needs is held)
    held_until_s: float = 0.0
    #: the customer order a top-level sub-lot belongs to (else its own work order): a machine that runs
    #: the same step of two lots of one customer order in a row handles them once (``lot_handling_s``)
    order_key: str = ""


@dataclass(frozen=True, slots=True)
class MachineView:
    equipment_id: str
    work_center_id: str
    last_family: str | None
    status: str
    speed_factor: float = 1.0
    last_material: str | None = None
    #: when the machine is expected back (sim seconds) if it is down, else 0
    available_s: float = 0.0
    #: the customer order and routing step of the last operation it ran (``Machine.last_step``)
    last_step: tuple[str, int] | None = None


@dataclass(frozen=True)
class PlantSnapshot:
    now_s: float
    now_at: datetime
    operations: list[OperationView]
    machines: list[MachineView]
    equipment_count: dict[str, int]
    #: operations in progress (``equipment_id`` set, ``remaining_work_s`` estimated)
    running: list[OperationView] = field(default_factory=list)
    #: the shift calendar's working windows from now on, in sim seconds
    working_windows: tuple[tuple[float, float], ...] = ()
    #: actual over standard run time of the operations completed so far (1.0 before any): what an MES's
    #: actuals tell a planner about the plant's real pace
    run_time_ratio: float = 1.0
    #: machine seconds a lot takes at each step besides its setup and run (loading, first-piece check)
    lot_handling_s: float = 0.0


DispatchRule = Callable[[PlantSnapshot], list[DispatchEntry]]


@dataclass
class Policy:
    name: str
    rule: DispatchRule
    pm_interval_fraction: float | None = None
    publish_interval_s: float | None = None
    publish_on_release: bool = True
    #: ask the rule for new lists when a machine goes down or comes back (rescheduling on disruption)
    publish_on_downtime: bool = False
    #: analytics fed by the twin's MES record and telemetry that propose actions (see ``sim/hooks.py``)
    hooks: list[PlantHook] = field(default_factory=list)
    #: carries out one proposal given the plant's command sink; None sends its commands straight to the MES
    decide: Callable[[Proposal, Callable[[Command], Any]], None] | None = None
    #: how a new set of dispatch lists reaches the MES, given the plant's command sink (e.g. as a schedule
    #: decision that the decision layer records, approves by configuration and publishes); None sends it
    publish: Callable[[PublishDispatchLists, Callable[[Command], Any]], None] | None = None
    #: lot sizing at release: a sales order's quantity → the quantities of the work orders it becomes
    #: (sub-lots ``f"{work_order_id}.{i}"``, see ``optimize/scheduling/lotsize.py``); None: one work order
    lot_sizes: Callable[[int], list[int]] | None = None


def _entries(lists: dict[str, list[OperationView]]) -> list[DispatchEntry]:
    return [
        DispatchEntry(
            operation_id=op.operation_id, work_center_id=wc, equipment_id=op.equipment_id, position=i
        )
        for wc in sorted(lists)
        for i, op in enumerate(lists[wc])
    ]


def fifo_rule(snapshot: PlantSnapshot) -> list[DispatchEntry]:
    """First released, first served, at the work center each operation is assigned to."""
    lists: dict[str, list[OperationView]] = {}
    for op in sorted(snapshot.operations, key=lambda o: (o.released_s, o.order_index)):
        lists.setdefault(op.work_center_id, []).append(op)
    return _entries(lists)


class SetupAwareAtc:
    """ATCS list scheduling per work center plus sticky load balancing over routing alternatives."""

    def __init__(self, k1: float = 2.0, k2: float = 0.7, greedy_per_machine: int = 6) -> None:
        self.k1, self.k2, self.greedy_per_machine = k1, k2, greedy_per_machine
        self._assigned: dict[str, str] = {}
        self._backlog: dict[str, float] = {}

    def __call__(self, snapshot: PlantSnapshot) -> list[DispatchEntry]:
        ops = [self._assign(op, snapshot) for op in self._balance_order(snapshot)]
        by_wc: dict[str, list[OperationView]] = {}
        for op in ops:
            by_wc.setdefault(op.work_center_id, []).append(op)
        families = {wc: Counter[str]() for wc in by_wc}
        for m in snapshot.machines:
            if m.work_center_id in families and m.last_family:
                families[m.work_center_id][m.last_family] += 1
        lists = {
            wc: self._sequence(cands, snapshot, families[wc], snapshot.equipment_count.get(wc, 1))
            for wc, cands in by_wc.items()
        }
        return _entries(lists)

    def _balance_order(self, snapshot: PlantSnapshot) -> list[OperationView]:
        self._backlog = {}
        for op in snapshot.operations:
            if len(op.alternatives) == 1 or op.operation_id in self._assigned:
                wc = self._assigned.get(op.operation_id, op.work_center_id)
                self._backlog[wc] = self._backlog.get(wc, 0.0) + op.run_s / snapshot.equipment_count.get(
                    wc, 1
                )
        return sorted(snapshot.operations, key=lambda o: (o.due_s, o.order_index))

    def _assign(self, op: OperationView, snapshot: PlantSnapshot) -> OperationView:
        wc = self._assigned.get(op.operation_id)
        if wc is None:
            if len(op.alternatives) == 1:
                wc = op.work_center_id
            else:

                def finish(w: str) -> float:
                    return self._backlog.get(w, 0.0) + op.run_s / snapshot.equipment_count.get(w, 1)

                wc = min(op.alternatives, key=finish)
                self._backlog[wc] = finish(wc)
            self._assigned[op.operation_id] = wc
        if wc == op.work_center_id:
            return op
        return OperationView(**{**{s: getattr(op, s) for s in OperationView.__slots__}, "work_center_id": wc})

    def _sequence(
        self, cands: list[OperationView], snapshot: PlantSnapshot, families: Counter[str], n_eq: int
    ) -> list[OperationView]:
        now = snapshot.now_s
        slack = np.array([o.due_s - now - o.remaining_s for o in cands])
        ready = [i for i, o in enumerate(cands) if o.ready]
        rest = [i for i, o in enumerate(cands) if not o.ready]
        out: list[int] = []
        if ready:
            run = np.array([max(cands[i].run_s, 1.0) for i in ready])
            weight = np.array([3.0 if cands[i].priority <= 2 else 1.0 for i in ready])
            major = np.array([cands[i].setup_s for i in ready])
            minor = np.array([cands[i].minor_setup_s for i in ready])
            fam = np.array([cands[i].family for i in ready])
            sl = np.maximum(slack[ready], 0.0)
            p_bar = float(run.mean())
            s_bar = max(float(major.mean()), 1.0)
            base = weight / run * np.exp(-sl / (self.k1 * p_bar))
            last = families.most_common(1)[0][0] if families else None
            left = np.ones(len(ready), dtype=bool)
            for _ in range(min(len(ready), self.greedy_per_machine * n_eq)):
                setup = major if last is None else np.where(fam == last, minor, major)
                index = np.where(left, base * np.exp(-setup / (self.k2 * s_bar)), -1.0)
                j = int(index.argmax())
                left[j] = False
                out.append(ready[j])
                last = str(fam[j])
            tail = [ready[j] for j in np.flatnonzero(left)]
            rest = tail + rest
        rest.sort(key=lambda i: (slack[i], cands[i].order_index))
        return [cands[i] for i in out + rest]


def _baseline() -> Policy:
    return Policy("baseline", fifo_rule)


def _atcs() -> Policy:
    return Policy("atcs", SetupAwareAtc(), pm_interval_fraction=0.5, publish_interval_s=3600.0)


def _split() -> Policy:
    from plantloop.optimize.scheduling.lotsize import LotSplit

    return Policy("split", fifo_rule, lot_sizes=LotSplit())


def _aps() -> Policy:
    # imported here: the scheduler depends on the simulator's views, not the other way round
    from plantloop.optimize.scheduling.twin import ApsDispatch

    return Policy("aps", ApsDispatch(), publish_interval_s=3600.0, publish_on_downtime=True)


def _analytics(maker: str, **options: Any) -> Callable[[], Policy]:
    """The policy ``analytics_policies.make_<maker>(**options)`` builds (imported when first asked for)."""

    def factory() -> Policy:
        from plantloop.sim import analytics_policies  # the analytics load only when asked for

        made: Policy = getattr(analytics_policies, f"make_{maker}")(**options)
        return made

    return factory


POLICIES: dict[str, Callable[[], Policy]] = {
    "baseline": _baseline,
    "atcs": _atcs,
    "aps": _aps,
    "split": _split,
    **{name: _analytics(name) for name in ("pdm", "quality", "analytics", "loop")},
    "loop-whole": _analytics("loop", name="loop-whole", split=False),
}


def register_policy(name: str, factory: Callable[[], Policy]) -> None:
    POLICIES[name] = factory


def make_policy(
    name: str, *, rule: DispatchRule | None = None, pm_interval_fraction: float | None = None
) -> Policy:
    """A fresh policy by name; with ``rule``, any name wraps the given rule instead."""
    if rule is not None:
        return Policy(name, rule, pm_interval_fraction=pm_interval_fraction, publish_interval_s=3600.0)
    if name not in POLICIES:
        raise InvalidInput(f"unknown policy {name!r}; known: {sorted(POLICIES)}", policy=name)
    return POLICIES[name]()
