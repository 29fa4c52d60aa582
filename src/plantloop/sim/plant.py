"""The plant model's shared state: orders, operations, machines, material, dispatch lists and commands.

:class:`Plant` is what the SimPy processes (``equipment.py``) act on. It sends every change to the MES as
a command through the gateway, mirrors what it sent (so that it can execute the MES's dispatch lists
without asking for more than the lists), wakes the machines of a work center when something there may
have become possible, and publishes the policy's dispatch lists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import simpy

from plantloop.kernel.errors import PlantloopError
from plantloop.mes.domain.commands import (
    Command,
    CreateMaintenanceOrder,
    EndDowntime,
    HoldLot,
    PublishDispatchLists,
    ReleaseLot,
    StartDowntime,
)
from plantloop.mes.masterdata.schema import Equipment, PlantDefinition
from plantloop.sim import supply
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.events import shop_floor_event
from plantloop.sim.faults import FailureModel, FaultRecord, FaultType, GroundTruth, Life, QualityModel
from plantloop.sim.gateway import MesGateway
from plantloop.sim.materials import Inventory, StockLot
from plantloop.sim.mrb import MaterialReview, Review, held_work_order, hold, hold_purchased, released
from plantloop.sim.orders import OpState, SimOperation, SimWorkOrder
from plantloop.sim.policies import PlantSnapshot, Policy
from plantloop.sim.scenario import ScenarioConfig, rng_stream
from plantloop.sim.telemetry import MachineStatus, MachineTrace


@dataclass(eq=False)
class Machine:
    spec: Equipment
    work_center_id: str
    line_id: str
    failures: FailureModel
    trace: MachineTrace
    life: Life
    status: MachineStatus = MachineStatus.IDLE
    op_total_s: float = 0.0
    last_family: str | None = None
    last_material: str | None = None
    maintenance_orders: int = 0
    busy_s: float = 0.0
    #: the customer order and routing step of the last operation it ran (a sub-lot of the same order at
    #: the same step continues without handling, see ``ScenarioConfig.lot_handling_s``)
    last_step: tuple[str, int] | None = None

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class Interval:
    equipment_id: str
    start_s: float
    end_s: float
    kind: str


@dataclass
class PlantRecords:
    """What KPIs are computed from."""

    work_orders: list[SimWorkOrder] = field(default_factory=list)
    downtime: list[Interval] = field(default_factory=list)
    bad_lot: tuple[StockLot, FaultRecord] | None = None
    bad_lot_consumers: list[str] = field(default_factory=list)
    #: held produced lots and what the review board decided (see ``mrb.py``)
    reviews: list[Review] = field(default_factory=list)
    #: held purchased lots and what the review board found (see ``mrb.py``)
    material_reviews: list[MaterialReview] = field(default_factory=list)


class Plant:
    def __init__(
        self,
        env: simpy.Environment,
        plant: PlantDefinition,
        config: ScenarioConfig,
        gateway: MesGateway,
        policy: Policy,
        calendar: SimCalendar,
        quality: QualityModel,
        inventory: Inventory,
        ground_truth: GroundTruth,
    ) -> None:
        self.env = env
        self.definition = plant
        self.config = config
        self.gateway = gateway
        self.policy = policy
        self.calendar = calendar
        self.quality = quality
        self.inventory = inventory
        self.ground_truth = ground_truth
        self.records = PlantRecords()
        self.commands_sent: Counter[str] = Counter()
        self.shop_floor_events: list[dict[str, Any]] = []
        self.dispatch_reads = 0
        self.rejected: list[dict[str, str]] = []
        self.ops: dict[str, SimOperation] = {}
        self.work_orders: dict[str, SimWorkOrder] = {}
        self.waiting: dict[str, SimOperation] = {}
        self.machines: dict[str, Machine] = {}
        for wc in plant.work_centers.values():
            for eq in wc.equipment:
                failures = FailureModel(eq, config)
                life = failures.new_life(0.0, 0.0)
                trace = MachineTrace(lives=[life])
                self.machines[eq.id] = Machine(eq, wc.id, plant.line_of[wc.id], failures, trace, life)
        self.equipment_count = {wc.id: len(wc.equipment) for wc in plant.work_centers.values()}
        self.mean_speed = {
            wc.id: sum(e.speed_factor for e in wc.equipment) / len(wc.equipment)
            for wc in plant.work_centers.values()
        }
        self._events = {wc: env.event() for wc in plant.work_centers}
        self._lists: dict[str, list[tuple[SimOperation, str | None]] | None] = dict.fromkeys(
            plant.work_centers
        )
        self._published: dict[str, list[str]] = {}
        self._versions = 0
        self._order_index = 0
        self.purchase_rng = rng_stream(config.seed, "purchasing")
        self.busy_operators: set[str] = set()
        #: equipment → (sim second it went down, expected repair seconds)
        self.down_since: dict[str, tuple[float, float]] = {}
        #: equipment → maintenance orders submitted for it and not carried out yet (see ``submit``)
        self.maintenance_requests: dict[str, list[CreateMaintenanceOrder]] = {}
        for hook in policy.hooks:
            env.process(self._run_hook(hook))
        self.roster: dict[str, list[tuple[str, frozenset[str], str | None]]] = {}
        for person in plant.personnel:
            self.roster.setdefault(person.shift_id, []).append(
                (person.id, frozenset(person.skills), person.line_id)
            )

    # ---- commands ----------------------------------------------------------------------------------
    def send(self, command: Command) -> Any:
        name = type(command).__name__
        self.commands_sent[name] += 1
        if isinstance(command, StartDowntime | EndDowntime):
            self._track_downtime(command)
        try:
            result = self.gateway.handle(command)
        except PlantloopError as exc:
            # A real MES may refuse what the twin expected; a long run records it instead of dying.
            if self.config.strict_gateway:
                raise
            self.rejected.append({"command": name, "error": exc.code, "message": exc.message[:200]})
            return None
        for hook in self.policy.hooks:
            hook.observe(command)
        if self.config.keep_shop_floor_events:
            event = shop_floor_event(
                command, sum(self.commands_sent.values()), self.definition.equipment_paths
            )
            if event is not None:
                self.shop_floor_events.append(event)
        return result

    # ---- commands from the loop: the plant reacts as a real one would -------------------------------
    def submit(self, command: Command) -> Any:
        """Send a command someone decided on (a hook, the decision layer) and carry it out on the floor: a
        held lot goes before the review board (``mrb.py``), a maintenance order is queued for its machine."""
        result = self.send(command)
        self.carry_out(command)
        return result

    def carry_out(self, command: Command) -> None:
        """React on the floor to a command the MES already has (sent by :meth:`submit`, or by the decision
        layer straight to the MES — see ``SimRun.carry_out_later``)."""
        if isinstance(command, HoldLot):
            wo = held_work_order(self, command.lot_id)
            if wo is not None:
                hold(self, wo, command.lot_id)
            else:
                hold_purchased(self, command.lot_id)
        elif isinstance(command, ReleaseLot):
            if (wo := held_work_order(self, command.lot_id)) is not None:
                released(self, wo)
            elif self.inventory.release(command.lot_id) is not None:
                self.wake_all()
        elif isinstance(command, CreateMaintenanceOrder) and command.equipment_id in self.machines:
            self.maintenance_requests.setdefault(command.equipment_id, []).append(command)
            self.wake(self.machines[command.equipment_id].work_center_id)

    def due_maintenance(self, equipment_id: str) -> CreateMaintenanceOrder | None:
        """The next submitted maintenance order of ``equipment_id`` whose planned start has come."""
        queue = self.maintenance_requests.get(equipment_id)
        if not queue:
            return None
        now = self.now_at
        for order in queue:
            if order.planned_start_at is None or order.planned_start_at <= now:
                queue.remove(order)
                return order
        return None

    def _run_hook(self, hook: Any) -> Any:
        while True:
            yield self.env.timeout(hook.tick_s)
            for proposal in hook.tick(self.now_at):
                if self.policy.decide is not None:
                    self.policy.decide(proposal, self.submit)
                else:
                    for command in proposal.commands:
                        self.submit(command)

    def _track_downtime(self, command: StartDowntime | EndDowntime) -> None:
        """Remember outages for the snapshot; reschedule on them when the policy asks to."""
        eq = command.equipment_id
        if isinstance(command, StartDowntime):
            repair_s = (
                self.config.pm_duration_h * 3600.0
                if command.reason_code == "PM"
                else self.machines[eq].spec.reliability.mttr_h * 3600.0
            )
            self.down_since[eq] = (self.env.now, repair_s)
        else:
            self.down_since.pop(eq, None)
        if self.policy.publish_on_downtime:
            # the machine's state changes right after this command; plan on the state it is going to
            self.env.process(self._publish_soon())

    def _publish_soon(self) -> Any:
        yield self.env.timeout(0)
        self.publish()

    @property
    def now_at(self) -> Any:
        return self.calendar.at(self.env.now)

    # ---- waking machines ---------------------------------------------------------------------------
    def wait_event(self, work_center_id: str) -> simpy.Event:
        return self._events[work_center_id]

    def wake(self, work_center_id: str) -> None:
        event = self._events[work_center_id]
        if not event.triggered:
            event.succeed()
        self._events[work_center_id] = self.env.event()

    def wake_all(self, *, refresh: bool = False) -> None:
        for wc in self._events:
            if refresh:
                self._lists[wc] = None
            self.wake(wc)

    # ---- dispatch lists ----------------------------------------------------------------------------
    def dispatch_items(self, work_center_id: str) -> list[tuple[SimOperation, str | None]]:
        items = self._lists[work_center_id]
        if items is None:
            self.dispatch_reads += 1
            items = []
            for item in self.gateway.dispatch_list(work_center_id):
                op = self.ops.get(item.operation_id)
                if op is None or op.state is not OpState.WAITING:
                    continue
                if work_center_id not in op.spec.work_center_ids:
                    continue  # a list naming an impossible work center: not executable here
                op.work_center_id = work_center_id
                items.append((op, item.equipment_id))
            self._lists[work_center_id] = items
        return items

    def snapshot(self) -> PlantSnapshot:
        """What a scheduler may know now (see :mod:`plantloop.sim.snapshot`)."""
        from plantloop.sim.snapshot import take_snapshot

        return take_snapshot(self)

    def publish(self) -> None:
        """Ask the policy for lists; publish those that changed (ignoring operations that started)."""
        entries = self.policy.rule(self.snapshot())
        lists: dict[str, list[str]] = {}
        for e in entries:
            lists.setdefault(e.work_center_id, []).append(e.operation_id)
        changed = set()
        for wc, ids in lists.items():
            old = [o for o in self._published.get(wc, []) if o in self.waiting]
            if ids != old:
                changed.add(wc)
        if not changed:
            return
        self._versions += 1
        version = f"{self.config.id_prefix}{self.policy.name}-{self._versions:05d}"
        command = PublishDispatchLists(
            at=self.now_at,
            schedule_version=version,
            entries=[e for e in entries if e.work_center_id in changed],
            issued_by=f"policy:{self.policy.name}",
        )
        if self.policy.publish is not None:
            self.policy.publish(command, self.send)
        else:
            self.send(command)
        for wc in sorted(changed):  # the floor reads each changed list from the MES again
            self._published[wc] = lists[wc]
            self._lists[wc] = None
            self.wake(wc)

    # ---- orders ------------------------------------------------------------------------------------
    def add_waiting(self, op: SimOperation) -> None:
        """A released operation (``release.py``): numbered in release order, known by id, waiting to start."""
        self._order_index += 1
        op.order_index = self._order_index
        self.ops[op.id] = op
        self.waiting[op.id] = op

    def finish(self) -> None:
        """Close the ground truth at the end of the run (degradation still visible, bad-lot users)."""
        supply.close_bad_lot(self)
        for m in self.machines.values():
            if m.life.degradation_started_s is not None and m.life.end_s is None:
                self.ground_truth.faults.append(
                    FaultRecord(
                        FaultType.DEGRADATION,
                        m.id,
                        self.calendar.at(m.life.degradation_started_s),
                        None,
                        {
                            "outcome": "ongoing",
                            "operating_h_left": round((m.life.fail_op - m.op_total_s) / 3600, 2),
                        },
                    )
                )
        self.ground_truth.faults.sort(key=lambda f: (f.start_at, f.type.value, f.target))

    def pm_due(self, m: Machine) -> bool:
        fraction = self.policy.pm_interval_fraction
        return fraction is not None and m.op_total_s - m.life.op_start >= fraction * m.failures.mtbf_s

    def find_operator(self, op: SimOperation, m: Machine) -> str | None:
        shift = self.calendar.shift_at(self.env.now)
        required = set(op.spec.required_skill_ids)
        for person_id, skills, line_id in self.roster.get(shift or "", []):
            if person_id in self.busy_operators or not required <= skills:
                continue
            if line_id is None or line_id == m.line_id:
                return person_id
        return None

    def horizon_clip(self, start_s: float, end_s: float) -> float:
        return max(0.0, min(end_s, self.config.horizon_s) - max(start_s, 0.0))
