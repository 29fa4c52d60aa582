"""Run one seeded simulation: build the model from master data and a scenario, run it, compute KPIs.

:class:`SimRun` is the run as an object that can be advanced step by step — the demo paces it against the
wall clock, end-to-end tests drive it over HTTP. :func:`run_simulation` is the one-call entry point (CLI,
benchmarks, tests): it advances a ``SimRun`` to the horizon, one telemetry chunk at a time, flushing
telemetry and reporting progress after each. With no gateway the run uses the in-memory
:class:`RecordingGateway`; with no sink it generates no telemetry.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from plantloop.mes.domain.commands import Command
from plantloop.mes.masterdata import load_reference_plant
from plantloop.mes.masterdata.loader import load_plant
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.sim import supply
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.dirty import spoil
from plantloop.sim.equipment import EquipmentProcess
from plantloop.sim.erp import OrderFeed, SalesOrder
from plantloop.sim.faults import GroundTruth, QualityModel
from plantloop.sim.gateway import MesGateway, RecordingGateway
from plantloop.sim.hooks import HookTelemetrySink
from plantloop.sim.kpis import Kpis, compute_kpis
from plantloop.sim.materials import Inventory
from plantloop.sim.plant import Plant
from plantloop.sim.policies import Policy, make_policy
from plantloop.sim.release import release
from plantloop.sim.scenario import ScenarioConfig
from plantloop.sim.telemetry import TelemetryGenerator, TelemetrySink

#: Called with (simulated seconds done, horizon seconds).
ProgressCallback = Callable[[float, float], None]


@dataclass
class SimResult:
    config: ScenarioConfig
    kpis: Kpis
    ground_truth: GroundTruth
    plant: Plant
    orders: list[SalesOrder]
    shop_floor_events: list[dict[str, Any]] = field(default_factory=list)
    dirty_events: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The JSON-able result: configuration, KPIs and ground-truth counts."""
        return {
            "scenario": self.config.name,
            "seed": self.config.seed,
            "days": self.config.days,
            "policy": self.plant.policy.name,
            **self.kpis.model_dump(),
            "dirty_items": len(self.ground_truth.dirty),
            "wall_s": round(self.wall_s, 3),
        }


class SimRun:
    """One run, built and ready to advance: ``advance(until_s)`` as often as wanted, then ``finish()``."""

    def __init__(
        self,
        config: ScenarioConfig,
        gateway: MesGateway | None = None,
        telemetry_sink: TelemetrySink | None = None,
        *,
        plant: PlantDefinition | None = None,
        policy: Policy | None = None,
    ) -> None:
        self._started = time.perf_counter()
        self.config = config
        definition = plant or (load_plant(config.plant_file) if config.plant_file else load_reference_plant())
        self.gateway = gateway if gateway is not None else RecordingGateway(definition, keep_commands=False)
        policy = policy or make_policy(config.policy)
        self.horizon_s = config.horizon_s
        self.env = simpy.Environment()
        calendar = SimCalendar(definition.calendar, definition.site.timezone, config.start_at, self.horizon_s)
        quality = QualityModel(definition, config, calendar)
        self.feed = OrderFeed(definition, config, calendar)
        inventory = Inventory(
            definition, self.feed.daily_usage, config.material_safety_days, config.id_prefix
        )
        self.truth = GroundTruth(faults=quality.ground_truth(self.horizon_s))
        self.plant = Plant(
            self.env, definition, config, self.gateway, policy, calendar, quality, inventory, self.truth
        )
        self.orders = self.feed.generate()
        self._started_processes = False
        self._decided: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.telemetry: TelemetryGenerator | None = None
        if policy.hooks and config.telemetry_hz > 0:  # the policy's analytics see the telemetry too
            telemetry_sink = HookTelemetrySink(policy.hooks, telemetry_sink)
        if telemetry_sink is not None and config.telemetry_hz > 0:
            equipment = [m.spec for m in self.plant.machines.values()]
            traces = {m.id: m.trace for m in self.plant.machines.values()}
            self.telemetry = TelemetryGenerator(equipment, traces, config, calendar, telemetry_sink)
        self.now_s = 0.0
        self._finished: SimResult | None = None

    def _start(self) -> None:
        """Start the processes; the first commands (opening stock) go out here, not in the constructor."""
        self._started_processes = True
        model, env = self.plant, self.env
        for material_id in model.inventory.safety:
            supply.reorder(model, material_id, immediate=True)
        env.process(_erp(env, model, self.orders))
        for machine in model.machines.values():
            env.process(EquipmentProcess(model, machine).run())
        if model.policy.publish_interval_s:
            env.process(_every(env, model.policy.publish_interval_s, model.publish))
        if self.config.dispatch_refresh_s:
            env.process(_every(env, self.config.dispatch_refresh_s, lambda: model.wake_all(refresh=True)))

    @property
    def done(self) -> bool:
        return self.now_s >= self.horizon_s

    def carry_out_later(self, command: Command) -> None:
        """Have the twin's floor react to ``command`` — already sent to the MES by someone else, e.g. the
        decision layer — at the start of the next step (thread-safe: the caller may be any thread)."""
        self._decided.put(command)

    def advance(self, until_s: float) -> None:
        """Simulate up to ``until_s`` (clamped to the horizon) and flush telemetry up to it."""
        if not self._started_processes:
            self._start()
        until_s = min(until_s, self.horizon_s)
        while not self._decided.empty():  # decisions published since the last step, in order
            self.plant.carry_out(self._decided.get())
        if until_s <= self.now_s:
            return
        self.env.run(until=until_s)
        self.now_s = until_s
        if self.telemetry is not None:
            self.telemetry.flush(until_s)

    def finish(self) -> SimResult:
        """Close the ground truth and compute KPIs over what was simulated (call once, at the end)."""
        if self._finished is not None:
            return self._finished
        model, config, truth = self.plant, self.config, self.truth
        model.finish()
        dirty: list[dict[str, Any]] = []
        if config.dirty.enabled:
            dirty, truth.dirty = spoil(model.shop_floor_events, config.dirty, config.seed)
        emitted = getattr(self.gateway, "events_emitted", None)
        kpis = compute_kpis(
            model,
            orders_per_day=self.feed.orders_per_day,
            bottleneck=self.feed.bottleneck,
            events_emitted=emitted if isinstance(emitted, int) else None,
            telemetry_samples=self.telemetry.samples_written if self.telemetry else 0,
            until_s=self.now_s,
        )
        self._finished = SimResult(
            config=config,
            kpis=kpis,
            ground_truth=truth,
            plant=model,
            orders=self.orders,
            shop_floor_events=model.shop_floor_events,
            dirty_events=dirty,
            wall_s=time.perf_counter() - self._started,
        )
        return self._finished


def run_simulation(
    config: ScenarioConfig,
    gateway: MesGateway | None = None,
    telemetry_sink: TelemetrySink | None = None,
    *,
    plant: PlantDefinition | None = None,
    policy: Policy | None = None,
    progress: ProgressCallback | None = None,
) -> SimResult:
    run = SimRun(config, gateway, telemetry_sink, plant=plant, policy=policy)
    while not run.done:
        run.advance(run.now_s + config.telemetry_chunk_s)
        if progress is not None:
            progress(run.now_s, run.horizon_s)
    return run.finish()


def _erp(env: simpy.Environment, plant: Plant, orders: list[SalesOrder]) -> Generator[Any, Any, None]:
    for order in orders:
        if order.arrival_s > env.now:
            yield env.timeout(order.arrival_s - env.now)
        release(plant, order)


def _every(
    env: simpy.Environment, interval_s: float, action: Callable[[], None]
) -> Generator[Any, Any, None]:
    while True:
        yield env.timeout(interval_s)
        action()
