"""Run one seeded simulation: build the model from master data and a scenario, run it, compute KPIs.

``run_simulation(config, gateway, telemetry_sink)`` is the one entry point (CLI, benchmarks, tests,
end-to-end runs against the real MES). With no gateway it runs on the in-memory :class:`RecordingGateway`;
with no sink it generates no telemetry. The run advances one telemetry chunk at a time, flushing telemetry
and reporting progress after each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from plantloop.mes.masterdata import load_reference_plant
from plantloop.mes.masterdata.loader import load_plant
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.dirty import spoil
from plantloop.sim.equipment import EquipmentProcess
from plantloop.sim.erp import OrderFeed, SalesOrder
from plantloop.sim.faults import GroundTruth, QualityModel
from plantloop.sim.gateway import MesGateway, RecordingGateway
from plantloop.sim.kpis import Kpis, compute_kpis
from plantloop.sim.materials import Inventory
from plantloop.sim.plant import Plant
from plantloop.sim.policies import Policy, make_policy
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


def run_simulation(
    config: ScenarioConfig,
    gateway: MesGateway | None = None,
    telemetry_sink: TelemetrySink | None = None,
    *,
    plant: PlantDefinition | None = None,
    policy: Policy | None = None,
    progress: ProgressCallback | None = None,
) -> SimResult:
    started = time.perf_counter()
    definition = plant or (load_plant(config.plant_file) if config.plant_file else load_reference_plant())
    gateway = gateway if gateway is not None else RecordingGateway(definition, keep_commands=False)
    policy = policy or make_policy(config.policy)
    horizon = config.horizon_s
    env = simpy.Environment()
    calendar = SimCalendar(definition.calendar, definition.site.timezone, config.start_at, horizon)
    quality = QualityModel(definition, config, calendar)
    feed = OrderFeed(definition, config, calendar)
    inventory = Inventory(definition, feed.daily_usage, config.material_safety_days)
    truth = GroundTruth(faults=quality.ground_truth(horizon))
    model = Plant(env, definition, config, gateway, policy, calendar, quality, inventory, truth)
    for material_id in inventory.safety:
        model.reorder(material_id, immediate=True)
    orders = feed.generate()
    env.process(_erp(env, model, orders))
    for machine in model.machines.values():
        env.process(EquipmentProcess(model, machine).run())
    if policy.publish_interval_s:
        env.process(_every(env, policy.publish_interval_s, model.publish))
    if config.dispatch_refresh_s:
        env.process(_every(env, config.dispatch_refresh_s, lambda: model.wake_all(refresh=True)))
    telemetry = None
    if telemetry_sink is not None and config.telemetry_hz > 0:
        equipment = [m.spec for m in model.machines.values()]
        traces = {m.id: m.trace for m in model.machines.values()}
        telemetry = TelemetryGenerator(equipment, traces, config, calendar, telemetry_sink)
    t = 0.0
    while t < horizon:
        t = min(t + config.telemetry_chunk_s, horizon)
        env.run(until=t)
        if telemetry is not None:
            telemetry.flush(t)
        if progress is not None:
            progress(t, horizon)
    model.finish()
    dirty: list[dict[str, Any]] = []
    if config.dirty.enabled:
        dirty, truth.dirty = spoil(model.shop_floor_events, config.dirty, config.seed)
    emitted = getattr(gateway, "events_emitted", None)
    kpis = compute_kpis(
        model,
        orders_per_day=feed.orders_per_day,
        bottleneck=feed.bottleneck,
        events_emitted=emitted if isinstance(emitted, int) else None,
        telemetry_samples=telemetry.samples_written if telemetry else 0,
    )
    return SimResult(
        config=config,
        kpis=kpis,
        ground_truth=truth,
        plant=model,
        orders=orders,
        shop_floor_events=model.shop_floor_events,
        dirty_events=dirty,
        wall_s=time.perf_counter() - started,
    )


def _erp(env: simpy.Environment, plant: Plant, orders: list[SalesOrder]) -> Generator[Any, Any, None]:
    for order in orders:
        if order.arrival_s > env.now:
            yield env.timeout(order.arrival_s - env.now)
        plant.release(order)


def _every(
    env: simpy.Environment, interval_s: float, action: Callable[[], None]
) -> Generator[Any, Any, None]:
    while True:
        yield env.timeout(interval_s)
        action()
