"""The warehouse built by SQLMesh from ODS events: hand-computed OEE, generated truth, layer rule, audits."""

from __future__ import annotations

import pytest

from plantloop.dataplatform.warehouse import Warehouse, violations
from plantloop.mes.masterdata.schema import PlantDefinition
from tests.integration.dataplatform.warehouse.scenario import (
    HAND_EQUIPMENT,
    HAND_MATERIAL,
    HAND_SEQ,
    Dataset,
    hand_shift_start,
)


def test_oee_of_one_machine_for_one_shift_matches_a_hand_computation(
    warehouse: Warehouse, dataset: Dataset, reference_plant: PlantDefinition
) -> None:
    routing = reference_plant.routings_by_material[HAND_MATERIAL]
    cycle_s = next(op.run_time_s_per_unit for op in routing.operations if op.seq == HAND_SEQ)
    cycle_s /= reference_plant.equipment[HAND_EQUIPMENT].speed_factor
    # by hand: 8 h shift, 30 min planned PM, 45 min breakdown, 100 + 140 units of which 5 scrap
    planned_s = 8 * 3600 - 30 * 60
    run_s = planned_s - 45 * 60
    availability = run_s / planned_s
    performance = cycle_s * 240 / run_s
    quality = 235 / 240
    start = hand_shift_start(dataset.hand_day).replace(tzinfo=None)
    row = warehouse.query(
        "SELECT planned_time_s, run_time_s, availability, performance, quality_rate, oee, failures "
        "FROM dw.ads_oee_equipment_shift WHERE equipment_id = ? AND shift_start_at = ?",
        [HAND_EQUIPMENT, start],
    )
    assert len(row) == 1
    planned, run, a, p, q, oee, failures = row[0]
    assert planned == pytest.approx(planned_s)
    assert run == pytest.approx(run_s)
    assert a == pytest.approx(availability) and a == pytest.approx(0.9)
    assert p == pytest.approx(performance)
    assert q == pytest.approx(quality)
    assert oee == pytest.approx(availability * performance * quality)
    assert failures == 1


def test_every_generated_shift_matches_its_ground_truth(warehouse: Warehouse, dataset: Dataset) -> None:
    checked = 0
    for (equipment_id, start), truth in dataset.truth.items():
        rows = warehouse.query(
            "SELECT calendar_time_s - planned_time_s, unplanned_downtime_s, ideal_output_time_s, qty_good, "
            "qty_scrap, failures FROM dw.dws_equipment_shift WHERE equipment_id = ? AND shift_start_at = ?",
            [equipment_id, start],
        )
        if not rows:  # shifts of the newest, not yet complete day are not built
            continue
        planned_dt, unplanned_dt, ideal, good, scrap, failures = rows[0]
        assert planned_dt == pytest.approx(truth.planned_downtime_s)
        assert unplanned_dt == pytest.approx(truth.unplanned_downtime_s)
        assert ideal == pytest.approx(truth.ideal_output_time_s)
        assert (good, scrap, failures) == (truth.qty_good, truth.qty_scrap, truth.failures)
        checked += 1
    assert checked >= 9


def test_line_day_sums_its_equipment_shifts(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "SELECT l.line_id, l.shift_date, l.qty_good, sum(e.qty_good), l.run_time_s, sum(e.run_time_s) "
        "FROM dw.dws_line_day l JOIN dw.dws_equipment_shift e USING (line_id, shift_date) "
        "GROUP BY l.line_id, l.shift_date, l.qty_good, l.run_time_s"
    )
    assert rows
    for _line, _day, good, good_sum, run, run_sum in rows:
        assert good == good_sum
        assert run == pytest.approx(run_sum)


def test_no_model_reads_more_than_one_layer_down(warehouse: Warehouse) -> None:
    ctx = warehouse.context()
    deps = {name: set(model.depends_on) for name, model in ctx.models.items() if not model.kind.is_external}
    assert any("ods_mes__events" in str(d) for d in deps.values())  # the parse found the ODS reads
    assert violations(deps) == []


def test_the_layer_rule_check_rejects_an_ads_model_reading_dwd() -> None:
    assert violations({"dw.ads_x": {"dw.dwd_operation_execution"}}) == [("ads_x", "dwd_operation_execution")]
    assert violations({"dw.dws_x": {"dw.dim_equipment", "dw.dwd_downtime"}}) == []


def test_order_delivery_marks_late_orders(warehouse: Warehouse) -> None:
    rows = dict(
        warehouse.query(
            "SELECT work_order_id, on_time FROM dw.ads_order_delivery WHERE work_order_id LIKE 'HAND-%'"
        )
    )
    assert rows == {"HAND-WO-1": True, "HAND-WO-2": False}


def test_quality_pareto_ranks_defects_with_a_cumulative_share_reaching_one(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "SELECT pareto_rank, qty, cumulative_share FROM dw.ads_quality_pareto WHERE line_id = '*' "
        "ORDER BY pareto_rank"
    )
    assert rows and rows[0][0] == 1
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    assert rows[-1][2] == pytest.approx(1.0)
