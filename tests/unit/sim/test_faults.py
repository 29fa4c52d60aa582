"""Injected faults: failures announced by degradation in telemetry, and every fault in the ground truth."""

from __future__ import annotations

from datetime import datetime

from plantloop.mes.domain.commands import ReceiveMaterialLot, StartDowntime
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.faults import FaultType
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import FaultConfig, scenario
from plantloop.sim.telemetry import CollectingSink
from tests.unit.sim.conftest import BAD_LOT_ONLY


def test_every_failure_is_preceded_by_rising_vibration_in_telemetry(
    failing_run: tuple[SimResult, CollectingSink],
) -> None:
    result, sink = failing_run
    failures = [f for f in result.ground_truth.faults if f.type is FaultType.MACHINE_FAILURE]
    assert len(failures) >= 3
    start_at = result.config.start_at
    for f in failures:
        series = sink.series(f.target)
        vib, cur = series["vibration_mm_s"], series["current_a"]
        nominal = result.plant.machines[f.target].spec.telemetry
        running = cur > 0.8 * nominal.current_a
        healthy = nominal.vibration_mm_s  # running level of a healthy machine
        fail_s = int((f.start_at - start_at).total_seconds())
        before = slice(max(0, fail_s - 300), fail_s)
        assert running[before].any()
        assert float(vib[before][running[before]].mean()) > 2.0 * healthy
        degradation_start = datetime.fromisoformat(f.details["degradation_start_at"])
        assert degradation_start < f.start_at


def test_breakdowns_and_quality_causes_all_appear_in_the_ground_truth(
    failing_run: tuple[SimResult, CollectingSink],
) -> None:
    result, _ = failing_run
    types = {f.type for f in result.ground_truth.faults}
    assert {FaultType.PARAMETER_DRIFT, FaultType.BAD_SHIFT, FaultType.SCRAP_MACHINE} <= types
    failures = [f for f in result.ground_truth.faults if f.type is FaultType.MACHINE_FAILURE]
    assert result.kpis.commands_sent["StartDowntime"] == len(failures)
    assert (
        abs(
            sum((f.end_at - f.start_at).total_seconds() for f in failures if f.end_at) / 3600
            - result.kpis.unplanned_downtime_h
        )
        < 0.5
    )
    assert len(result.kpis.faults_injected) == len(result.ground_truth.faults)
    assert {"machine", "drift"} <= set(result.kpis.scrap_by_cause)  # scrap attributed to injected causes


def test_the_bad_supplier_lot_is_received_recorded_and_raises_scrap_of_its_consumers(
    reference_plant: PlantDefinition,
) -> None:
    gateway = RecordingGateway(reference_plant)
    result = run_simulation(scenario(days=4, seed=8, faults=BAD_LOT_ONLY), gateway, plant=reference_plant)
    lots = [f for f in result.ground_truth.faults if f.type is FaultType.BAD_SUPPLIER_LOT]
    assert len(lots) == 1
    lot = lots[0]
    assert any(isinstance(c, ReceiveMaterialLot) and c.lot_id == lot.target for c in gateway.commands)
    consumers = set(lot.details["consumed_by_operations"])
    assert consumers
    tainted = [op for op in result.plant.ops.values() if op.work_order.tainted_by and op.completed_s]
    clean = [op for op in result.plant.ops.values() if not op.work_order.tainted_by and op.completed_s]
    rate = lambda ops: sum(o.qty_scrap for o in ops) / max(1, sum(o.qty_in for o in ops))  # noqa: E731
    assert rate(tainted) > 3 * rate(clean)
    by_cause = result.kpis.scrap_by_cause  # ground truth: only the base rate and the lot are active
    assert set(by_cause) <= {"base", "lot"} and by_cause.get("lot", 0) > 0
    assert sum(by_cause.values()) == sum(op.qty_scrap for op in result.plant.ops.values() if op.completed_s)


def test_preventive_maintenance_by_hours_records_degradation_it_cut_short(
    reference_plant: PlantDefinition,
) -> None:
    config = scenario(days=10, seed=2, policy="atcs", faults=FaultConfig(failure_rate_factor=3.0))
    result = run_simulation(config, plant=reference_plant)
    assert result.kpis.planned_downtime_h > 0
    assert result.kpis.commands_sent.get("StartDowntime", 0) >= 1
    for f in result.ground_truth.faults:
        assert f.start_at <= (f.end_at or f.start_at)
        if f.type is FaultType.DEGRADATION:
            assert f.details["outcome"] in {"preventive_maintenance", "ongoing"}


def test_a_run_without_faults_injects_none(reference_plant: PlantDefinition) -> None:
    gateway = RecordingGateway(reference_plant)
    result = run_simulation(scenario("quiet", days=3, seed=1), gateway, plant=reference_plant)
    assert result.ground_truth.faults == []
    assert not any(isinstance(c, StartDowntime) for c in gateway.commands)
    assert result.kpis.unplanned_downtime_h == 0
