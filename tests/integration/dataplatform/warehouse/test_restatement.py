"""Late data: an event that lands days after it happened recomputes its partitions and everything
downstream (SQLMesh restatement); a blocking audit stops a build on impossible values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from plantloop.dataplatform.warehouse import Warehouse, WarehouseBuildFailed
from plantloop.dataplatform.warehouse.synthetic import OdsEventLog
from plantloop.mes.masterdata.schema import PlantDefinition
from tests.integration.dataplatform.warehouse.scenario import (
    HAND_EQUIPMENT,
    HAND_MATERIAL,
    HAND_SEQ,
    hand_day,
    hand_shift_start,
    write_hand_shift,
)


@pytest.fixture
def small_warehouse(tmp_path: Path, reference_plant: PlantDefinition) -> Iterator[Warehouse]:
    log = OdsEventLog(reference_plant)
    write_hand_shift(log, hand_day())
    db = tmp_path / "late.duckdb"
    with duckdb.connect(str(db)) as con:
        log.write(con)
    wh = Warehouse(db, reference_plant)
    wh.build()
    yield wh
    wh.close()


def _late_operation(plant: PlantDefinition, db: Warehouse, *, qty_good: int, qty_scrap: int) -> None:
    start = hand_shift_start(hand_day())
    log = OdsEventLog(plant, source="mes")
    log.operation(
        operation_id="LATE-OP", work_order_id="LATE-WO", material_id=HAND_MATERIAL, seq=HAND_SEQ,
        equipment_id=HAND_EQUIPMENT, started_at=start + timedelta(hours=7),
        completed_at=start + timedelta(hours=7, minutes=30), qty_good=qty_good, qty_scrap=qty_scrap,
        ingested_at=datetime.now(UTC) + timedelta(seconds=1),
    )  # fmt: skip
    with db.connect() as con:
        log.write(con)


def _shift_row(wh: Warehouse) -> tuple[int, float, int]:
    start = hand_shift_start(hand_day()).replace(tzinfo=None)
    rows = wh.query(
        "SELECT e.qty_good, e.oee, l.qty_good FROM dw.ads_oee_equipment_shift e "
        "JOIN dw.ads_plant_overview l ON l.line_id = e.line_id AND l.day = e.shift_date "
        "WHERE e.equipment_id = ? AND e.shift_start_at = ?",
        [HAND_EQUIPMENT, start],
    )
    assert len(rows) == 1
    good, oee, line_good = rows[0]
    return int(good), float(oee), int(line_good)


def test_a_late_event_restates_its_days_and_everything_downstream(
    small_warehouse: Warehouse, reference_plant: PlantDefinition
) -> None:
    good_before, oee_before, line_before = _shift_row(small_warehouse)
    assert (good_before, line_before) == (235, 235)
    _late_operation(reference_plant, small_warehouse, qty_good=30, qty_scrap=0)
    report = small_warehouse.build()  # the plain incremental run alone would not look back 3 days
    assert hand_day() in report.restated_days
    good_after, oee_after, line_after = _shift_row(small_warehouse)
    assert (good_after, line_after) == (265, 265)  # DWD → DWS → ADS, all recomputed
    assert oee_after > oee_before


def test_explicit_restatement_of_a_date_range_recomputes_downstream_models(
    small_warehouse: Warehouse, reference_plant: PlantDefinition
) -> None:
    _late_operation(reference_plant, small_warehouse, qty_good=10, qty_scrap=0)
    assert _shift_row(small_warehouse)[0] == 235  # landed, but not yet in the warehouse
    day = hand_day()
    small_warehouse.restate(day - timedelta(days=1), day, ["dwd_operation_execution"])
    assert _shift_row(small_warehouse)[0] == 245


def test_a_blocking_audit_stops_the_build_on_negative_scrap(
    small_warehouse: Warehouse, reference_plant: PlantDefinition
) -> None:
    _late_operation(reference_plant, small_warehouse, qty_good=10, qty_scrap=-3)
    with pytest.raises(WarehouseBuildFailed, match=r"dwd_operation_execution.*audit error") as failed:
        small_warehouse.build()
    assert (
        failed.value.failures
    )  # names the model and the audit, not SQLMesh's bare "Plan application failed."
