"""The big screen's plant view: output counts finished products only, OEE is re-aggregated from its
components, defects and downtimes show, folding is idempotent, and a scoped view shows only its lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.ui.live.plant_view import PlantView, for_scope, oee_of

SHIFT_B = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # 14:00 in Asia/Shanghai, a Monday


@pytest.fixture
def plant_run(reference_plant: PlantDefinition) -> Container:
    container = build_in_memory_container(Settings(), plant=reference_plant, clock=FakeClock(SHIFT_B))
    bus = container.bus

    def at(minutes: float) -> datetime:
        return SHIFT_B + timedelta(minutes=minutes)

    bus.handle(
        c.CreateWorkOrder(work_order_id="WO-1", material_id="P-KET-03", qty=5, due_at=at(600), at=at(0))
    )
    bus.handle(c.ReleaseWorkOrder(work_order_id="WO-1", at=at(1)))
    route = [("010", "AS-11", 5, 0), ("020", "TS-11", 4, 1), ("030", "TS-11", 4, 0), ("040", "PK-11", 4, 0)]
    t = 2.0
    for seq, equipment, good, scrap in route:
        bus.handle(c.StartOperation(operation_id=f"WO-1/{seq}", equipment_id=equipment, at=at(t)))
        bus.handle(
            c.CompleteOperation(
                operation_id=f"WO-1/{seq}",
                qty_good=good,
                qty_scrap=scrap,
                scrap_defect_code="D-CRACK" if scrap else None,
                at=at(t + 20),
            )
        )
        t += 25
    bus.handle(c.StartDowntime(equipment_id="AS-12", reason_code="BRK", at=at(30)))
    return container


def folded(container: Container) -> PlantView:
    view = PlantView(container.plant)
    for record in container.queries.events(limit=1000):
        view.fold(record.seq, record.envelope)
    return view


def test_output_counts_only_the_last_operation_and_defects_carry_their_code(plant_run: Container) -> None:
    view = folded(plant_run)
    snap = view.snapshot(SHIFT_B + timedelta(hours=2), plant_run.queries.equipment_states(), [], {"L1": 5})
    l1 = next(line for line in snap["lines"] if line["line_id"] == "L1")
    assert l1["output_qty"] == 4  # only the last operation's good count: four finished products
    assert l1["plan_qty"] == 5
    assert snap["defects"] == [{"line_id": "L1", "code": "D-CRACK", "qty": 1}]
    assert [a["target"] for a in snap["alarms"]] == ["AS-12"] and snap["alarms"][0]["reason"] == "BRK"


def test_line_oee_is_re_aggregated_from_the_machines_components(plant_run: Container) -> None:
    view = folded(plant_run)
    now = SHIFT_B + timedelta(hours=2)
    snap = view.snapshot(now, plant_run.queries.equipment_states(), [], {})
    rows = [r for r in view.live.snapshot(now) if r["line_id"] == "L1"]
    l1 = next(line for line in snap["lines"] if line["line_id"] == "L1")
    planned = sum(r["planned_time_s"] for r in rows)
    run = sum(r["run_time_s"] for r in rows)
    good, total = sum(r["qty_good"] for r in rows), sum(r["qty_good"] + r["qty_scrap"] for r in rows)
    assert l1["availability"] == pytest.approx(run / planned)
    assert l1["quality"] == pytest.approx(good / total)
    assert 0 < l1["oee"] <= 1
    averaged = sum(r["oee"] for r in rows if r["oee"] is not None) / len(rows)
    assert l1["oee"] != pytest.approx(averaged)  # ratios are not averaged
    assert oee_of([])["oee"] is None


def test_folding_an_event_twice_changes_nothing(plant_run: Container) -> None:
    view = folded(plant_run)
    before = view.snapshot(SHIFT_B + timedelta(hours=2), [], [], {})
    for record in plant_run.queries.events(limit=1000):
        view.fold(record.seq, record.envelope)
    assert view.snapshot(SHIFT_B + timedelta(hours=2), [], [], {}) == before


def test_a_scoped_view_shows_its_lines_and_its_own_total(plant_run: Container) -> None:
    view = folded(plant_run)
    snap = view.snapshot(SHIFT_B + timedelta(hours=2), plant_run.queries.equipment_states(), [], {})
    l2 = for_scope(snap, frozenset({"L2"}))
    assert [line["line_id"] for line in l2["lines"]] == ["L2"]
    assert {e["line_id"] for e in l2["equipment"]} == {"L2"}
    assert l2["alarms"] == [] and l2["defects"] == []
    assert l2["plant"]["quality"] is None  # nothing produced on L2: no figure, not a made-up one
    assert for_scope(snap, None) is snap
