"""A whole run: deterministic, within the shift calendar, respecting precedence and material, plausible."""

from __future__ import annotations

from collections import defaultdict

import pytest

from plantloop.mes.domain.commands import ConsumeMaterial, ReceiveMaterialLot, StartOperation
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.orders import OpState
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import scenario


def test_two_runs_with_the_same_seed_give_identical_results(reference_plant: PlantDefinition) -> None:
    config = scenario(days=3, seed=11, policy="atcs")
    first = run_simulation(config, plant=reference_plant)
    second = run_simulation(config, plant=reference_plant)
    assert first.kpis == second.kpis
    assert first.shop_floor_events == second.shop_floor_events
    assert [f.to_dict() for f in first.ground_truth.faults] == [
        f.to_dict() for f in second.ground_truth.faults
    ]
    other = run_simulation(config.model_copy(update={"seed": 12}), plant=reference_plant)
    assert other.kpis != first.kpis


def test_no_operation_runs_or_sets_up_outside_the_shift_calendar(
    recorded_run: tuple[SimResult, RecordingGateway],
) -> None:
    result, gateway = recorded_run
    cal = result.plant.calendar
    segments = [seg for op in result.plant.ops.values() for seg in op.run_segments]
    assert len(segments) > 100
    for start_s, end_s in segments:
        assert cal.is_working(start_s)
        assert end_s <= cal.window_end(start_s) + 1e-6
    starts = [c for c in gateway.commands if isinstance(c, StartOperation)]
    assert all(cal.is_working((c.at - cal.start_at).total_seconds()) for c in starts if c.at)
    # the run crosses a non-working Sunday (site time) and nothing is processed then
    assert any(not cal.is_working(t) for t in range(0, 8 * 86_400, 3600))


def test_operations_start_only_after_their_predecessors_and_child_orders_finished(
    recorded_run: tuple[SimResult, RecordingGateway],
) -> None:
    result, _ = recorded_run
    checked_children = 0
    for op in result.plant.ops.values():
        if op.started_s is None:
            continue
        if op.index > 0:
            prev = op.work_order.operations[op.index - 1]
            assert prev.state is OpState.DONE
            assert prev.completed_s is not None and prev.completed_s <= op.started_s
        for child, _ in op.child_needs:
            assert child.completed_s is not None and child.completed_s <= op.started_s
            checked_children += 1
    assert checked_children > 10


def test_purchased_material_is_consumed_first_in_first_out_from_lots_already_received(
    recorded_run: tuple[SimResult, RecordingGateway],
) -> None:
    result, gateway = recorded_run
    received: dict[str, tuple[float, object]] = {}
    consumed: dict[str, float] = defaultdict(float)
    need: dict[tuple[str, str], float] = {}
    got: dict[tuple[str, str], float] = defaultdict(float)
    for c in gateway.commands:
        if isinstance(c, ReceiveMaterialLot):
            received[c.lot_id] = (c.qty, c.at)
        elif isinstance(c, ConsumeMaterial) and c.lot_id.startswith("PL-"):
            assert c.lot_id in received, "consumed before it was received"
            consumed[c.lot_id] += c.qty
            material = c.lot_id.split("-", 1)[1].rsplit("-", 1)[0]
            got[(c.operation_id, material)] += c.qty
    for op in result.plant.ops.values():
        if op.started_s is not None:
            for material, qty in op.purchased_needs:
                need[(op.id, material)] = qty
    assert need and set(got) == set(need)
    for key, qty in need.items():
        assert abs(got[key] - qty) < 1e-6
    for lot_id, qty in consumed.items():
        assert qty <= received[lot_id][0] + 1e-6


def test_kpis_are_within_plausible_ranges(recorded_run: tuple[SimResult, RecordingGateway]) -> None:
    result, gateway = recorded_run
    k = result.kpis
    assert 0 < k.orders_completed <= k.orders_released
    assert 0.0 < k.on_time_rate <= 1.0
    assert 0.0 < k.scrap_rate < 0.2
    assert 0.05 < k.availability < 1.0
    assert 0.7 < k.performance <= 1.05
    assert 0.8 < k.quality < 1.0
    assert abs(k.oee - k.availability * k.performance * k.quality) < 1e-5
    assert k.throughput_units > 0 and k.mean_lead_time_h > 0
    assert k.events_emitted == len(gateway.commands) == sum(k.commands_sent.values())
    assert k.unplanned_downtime_h >= 0


def test_the_plant_executes_only_what_the_dispatch_lists_show(reference_plant: PlantDefinition) -> None:
    class HidingGateway(RecordingGateway):
        def dispatch_list(self, work_center_id: str) -> list:  # type: ignore[type-arg]
            return [] if work_center_id == "L3-PACK" else super().dispatch_list(work_center_id)

    gateway = HidingGateway(reference_plant)
    result = run_simulation(scenario(days=2, seed=4), gateway, plant=reference_plant)
    started = {op.work_center_id for op in result.plant.ops.values() if op.started_s is not None}
    assert "L3-PACK" not in started
    assert {"L1-PACK", "L2-PACK"} & started


def test_operators_of_the_running_shift_with_the_right_skills_staff_every_operation(
    reference_plant: PlantDefinition,
) -> None:
    gateway = RecordingGateway(reference_plant)
    result = run_simulation(scenario("operators", days=2, seed=2), gateway, plant=reference_plant)
    people = {p.id: p for p in reference_plant.personnel}
    starts = [c for c in gateway.commands if isinstance(c, StartOperation)]
    assert starts
    cal = result.plant.calendar
    for c in starts:
        assert c.operator_id in people
        person = people[c.operator_id]
        op = result.plant.ops[c.operation_id]
        assert set(op.spec.required_skill_ids) <= set(person.skills)
        assert c.at is not None and person.shift_id == cal.shift_at((c.at - cal.start_at).total_seconds())


def test_a_lenient_run_counts_commands_the_mes_refuses_instead_of_stopping(
    reference_plant: PlantDefinition,
) -> None:
    from plantloop.kernel.errors import Conflict
    from plantloop.mes.domain.commands import Command, RecordInspection

    class PickyGateway(RecordingGateway):
        def handle(self, command: Command) -> object:
            if isinstance(command, RecordInspection):
                raise Conflict("inspections are closed", operation_id=command.operation_id)
            return super().handle(command)

    lenient = run_simulation(scenario(days=2, seed=4, strict_gateway=False), PickyGateway(reference_plant))
    assert lenient.kpis.commands_rejected == lenient.kpis.commands_sent["RecordInspection"] > 0
    with pytest.raises(Conflict):
        run_simulation(scenario(days=2, seed=4), PickyGateway(reference_plant))
