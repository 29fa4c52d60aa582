"""The twin reacts to the analytics as a plant would, and the analytics policy acts on what it sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.proposals import Proposal
from plantloop.sim.faults import FaultType
from plantloop.sim.materials import Inventory, StockLot
from plantloop.sim.policies import Policy, fifo_rule, make_policy
from plantloop.sim.run import SimRun, run_simulation
from plantloop.sim.scenario import FaultConfig, scenario
from plantloop.sim.telemetry import CountingSink


def test_a_held_lot_is_not_consumed_the_next_lot_is_used_and_the_reorder_rule_replaces_it(
    reference_plant: PlantDefinition,
) -> None:
    inventory = Inventory(reference_plant, {"CP-CORD": 500.0}, safety_days=1.0)
    for k in (1, 2):
        inventory.receive(StockLot(f"L{k}", "CP-CORD", "SUP-KE", 100.0, 0.0), was_ordered=False)
    assert inventory.hold("L1") is not None and inventory.on_hand("CP-CORD") == 100.0
    taken = inventory.consume("CP-CORD", 30.0)
    assert [(lot.lot_id, qty) for lot, qty in taken] == [("L2", 30.0)]
    orders = inventory.reorders("CP-CORD", np.random.default_rng(0))
    assert orders, "the held lot does not count as stock, so more is bought"
    assert inventory.release("L1") is not None and inventory.on_hand("CP-CORD") == 170.0
    assert inventory.hold("NOPE") is None


class ServiceAt:
    """A hook that asks once for maintenance of a machine from a given time on."""

    name = "service"
    tick_s = 1800.0

    def __init__(self, equipment_id: str, after: datetime) -> None:
        self.equipment_id, self.after, self.sent = equipment_id, after, False
        self.seen: list[str] = []

    def observe(self, command: c.Command) -> None:
        self.seen.append(type(command).__name__)

    def telemetry(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        pass

    def tick(self, now_at: datetime) -> Sequence[Proposal]:
        if self.sent or now_at < self.after:
            return []
        self.sent = True
        order = c.CreateMaintenanceOrder(
            at=now_at,
            maintenance_order_id="TEST-MO-1",
            equipment_id=self.equipment_id,
            kind=c.MaintenanceKind.PREDICTIVE,
            planned_start_at=now_at,
            planned_duration_s=1200,
        )
        return [Proposal("maintenance_order", f"equipment:{self.equipment_id}", (order,), "service")]


def test_maintenance_submitted_to_the_twin_renews_the_machine_and_ends_its_drift() -> None:
    faults = FaultConfig(
        machine_failures=False,
        bad_supplier_lot=False,
        bad_shift=False,
        scrap_machine=False,
        drift_start_fraction=0.2,
    )
    config = scenario(days=2, seed=3, telemetry_hz=0.0, faults=faults)
    probe = SimRun(config, policy=Policy("probe", fifo_rule))
    drift = next(f for f in probe.truth.faults if f.type is FaultType.PARAMETER_DRIFT)
    hook = ServiceAt(drift.target, drift.start_at)
    run = SimRun(config, policy=Policy("service", fifo_rule, hooks=[hook]))
    while not run.done:
        run.advance(run.now_s + 3600)
    result = run.finish()
    record = next(f for f in result.ground_truth.faults if f.type is FaultType.PARAMETER_DRIFT)
    assert record.details.get("ended_by") == "maintenance"
    assert record.end_at is not None and record.end_at - drift.start_at < drift.end_at - drift.start_at  # type: ignore[operator]
    machine = result.plant.machines[drift.target]
    assert len(machine.trace.lives) == 2  # renewed once, by the requested maintenance
    assert result.kpis.commands_sent["CreateMaintenanceOrder"] == 1 and result.kpis.planned_downtime_h > 0
    assert {"StartOperation", "CompleteOperation", "CompleteMaintenance"} <= set(hook.seen)


def test_the_analytics_policy_foresees_the_breakdown_and_holds_the_bad_lot_the_baseline_lets_through() -> (
    None
):
    config = scenario(
        days=3, seed=1, faults=FaultConfig(bad_shift=False, parameter_drift=False, scrap_machine=False)
    )
    baseline = run_simulation(config, telemetry_sink=CountingSink(), policy=make_policy("baseline"))
    policy = make_policy("analytics")
    analysed = run_simulation(config, telemetry_sink=CountingSink(), policy=policy)

    failures = [f for f in baseline.ground_truth.faults if f.type is FaultType.MACHINE_FAILURE]
    assert failures and baseline.kpis.unplanned_downtime_h > 0
    assert analysed.kpis.unplanned_downtime_h < baseline.kpis.unplanned_downtime_h
    assert analysed.kpis.commands_sent.get("CreateMaintenanceOrder", 0) > 0
    bad_lot = next(f.target for f in analysed.ground_truth.faults if f.type is FaultType.BAD_SUPPLIER_LOT)
    holds = [
        cmd.lot_id
        for hook in policy.hooks
        for p in getattr(hook, "proposals", [])
        for cmd in p.commands
        if isinstance(cmd, c.HoldLot)
    ]
    assert bad_lot in holds
    assert baseline.kpis.commands_sent.get("HoldLot", 0) == 0
