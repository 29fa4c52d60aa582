"""Dirty connector stream with its ground truth; policies and the extension point for the loop."""

from __future__ import annotations

from collections import Counter

from plantloop.mes.domain.commands import DispatchEntry
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.dirty import LEGACY_FIELD_NAMES, DirtyKind
from plantloop.sim.policies import PlantSnapshot, fifo_rule, make_policy
from plantloop.sim.run import run_simulation
from plantloop.sim.scenario import scenario


def test_every_dirty_item_is_in_the_ground_truth_and_visible_in_the_stream(
    reference_plant: PlantDefinition,
) -> None:
    result = run_simulation(scenario("dirty", days=3, seed=6), plant=reference_plant)
    clean, dirty = result.shop_floor_events, result.dirty_events
    truth = result.ground_truth.dirty
    kinds = Counter(r.kind for r in truth)
    assert set(kinds) == set(DirtyKind)
    ids = Counter(e.get("event_id", e.get("EVT_ID")) for e in dirty)
    for r in truth:
        if r.kind is DirtyKind.DUPLICATE:
            assert ids[r.event_id] == 2
        elif r.kind is DirtyKind.TEST_RECORD:
            assert any(
                e.get("event_id") == r.event_id and e["equipment_id"].startswith("TEST") for e in dirty
            )
        elif r.kind is DirtyKind.LEGACY_FIELDS:
            assert any(e.get(LEGACY_FIELD_NAMES["event_id"]) == r.event_id for e in dirty)
    assert len(dirty) == len(clean) + kinds[DirtyKind.DUPLICATE] + kinds[DirtyKind.TEST_RECORD]
    assert [e["sent_at"] for e in dirty] == sorted(e["sent_at"] for e in dirty)
    assert len({e["event_id"] for e in clean}) == len(clean)


def test_a_clean_run_has_no_dirty_stream(reference_plant: PlantDefinition) -> None:
    result = run_simulation(scenario(days=1, seed=6), plant=reference_plant)
    assert result.dirty_events == [] and result.ground_truth.dirty == []
    assert result.shop_floor_events


def test_a_loop_rule_plugs_in_and_its_lists_are_published(reference_plant: PlantDefinition) -> None:
    seen: list[PlantSnapshot] = []

    def reversed_fifo(snapshot: PlantSnapshot) -> list[DispatchEntry]:
        seen.append(snapshot)
        entries = fifo_rule(snapshot)
        by_wc: dict[str, list[DispatchEntry]] = {}
        for e in entries:
            by_wc.setdefault(e.work_center_id, []).append(e)
        return [
            e.model_copy(update={"position": i}) for wc in by_wc for i, e in enumerate(reversed(by_wc[wc]))
        ]

    policy = make_policy("loop", rule=reversed_fifo)
    result = run_simulation(scenario(days=2, seed=3), plant=reference_plant, policy=policy)
    assert seen and all(s.operations or s.now_s >= 0 for s in seen)
    assert result.kpis.commands_sent["PublishDispatchLists"] >= 1
    baseline = run_simulation(scenario(days=2, seed=3), plant=reference_plant)
    assert baseline.kpis.mean_lead_time_h != result.kpis.mean_lead_time_h


def test_the_order_feed_loads_the_bottleneck_near_the_target(reference_plant: PlantDefinition) -> None:
    result = run_simulation(scenario(days=14, seed=2, bottleneck_load=0.85), plant=reference_plant)
    bottleneck = result.kpis.bottleneck_work_center
    work_h = sum(
        op.spec.run_time_s_per_unit * op.work_order.qty / 3600
        for op in result.plant.ops.values()
        if op.work_center_id == bottleneck
    )
    capacity_h = (
        result.plant.calendar.working_s(0, 14 * 86_400) / 3600 * result.plant.equipment_count[bottleneck]
    )
    assert 0.6 < work_h / capacity_h < 1.05
