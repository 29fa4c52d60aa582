"""The live fold: ISO 22400 buckets of the running shift, computed by hand for a few events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantloop.dataplatform.live import LiveMetrics
from plantloop.mes.masterdata.schema import PlantDefinition

# shift B of Wednesday 2026-11-25 in Asia/Shanghai: 14:00–22:00 local = 06:00–14:00 UTC
SHIFT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
MACHINE = "PR-01"
MATERIAL, SEQ = "SA-KBODY", 10


def _row(type_: str, at: datetime, **body: Any) -> dict[str, Any]:
    return {"type": type_, "occurred_at": at, "payload": json.dumps({"equipment_id": MACHINE, **body}),
            "ingested_at": at}  # fmt: skip


def _state(at: datetime, to: str) -> dict[str, Any]:
    return _row("EquipmentStateChanged", at, from_state="", to_state=to, operation_id="OP-1")


def test_the_running_shift_folds_into_iso_22400_buckets(reference_plant: PlantDefinition) -> None:
    h = timedelta(hours=1)
    live = LiveMetrics(reference_plant)
    live.fold_rows([
        _state(SHIFT - h, "idle"),  # idle since before the shift
        _state(SHIFT + h, "execute"),  # 1 h idle in the shift
        _row("DowntimeStarted", SHIFT + 2 * h, reason_code="BRK", planned=False),
        _state(SHIFT + 2 * h, "aborted"),  # 1 h executing
        _row("DowntimeEnded", SHIFT + 2.5 * h, reason_code="BRK", planned=False,
             started_at=(SHIFT + 2 * h).isoformat(), duration_s=1800.0),
        _state(SHIFT + 2.5 * h, "execute"),
        _row("OperationCompleted", SHIFT + 3 * h, material_id=MATERIAL, seq=SEQ, qty_good=95, qty_scrap=5),
        _state(SHIFT + 3 * h, "idle"),  # 1.5 h executing in all
    ])  # fmt: skip
    [row] = live.snapshot(SHIFT + 4 * h)  # idle again for the last hour
    routing = reference_plant.routings_by_material[MATERIAL]
    cycle = next(o.run_time_s_per_unit for o in routing.operations if o.seq == SEQ)
    ideal = cycle / reference_plant.equipment[MACHINE].speed_factor * 100
    planned_busy = 4 * 3600 - 2 * 3600  # elapsed − idle (no planned downtime)
    assert row["idle_time_s"] == pytest.approx(2 * 3600)
    assert row["run_time_s"] == pytest.approx(1.5 * 3600)
    assert row["unplanned_downtime_s"] == pytest.approx(1800)
    assert row["planned_time_s"] == pytest.approx(planned_busy)
    assert row["availability"] == pytest.approx(1.5 * 3600 / planned_busy)
    assert row["performance"] == pytest.approx(ideal / (1.5 * 3600))
    assert row["oee"] == pytest.approx(ideal / planned_busy * 0.95)
    assert (row["line_id"], row["shift_id"], row["source"]) == ("FAB", "B", "live")


def test_an_open_downtime_counts_up_to_now_and_a_new_shift_starts_from_zero(
    reference_plant: PlantDefinition,
) -> None:
    live = LiveMetrics(reference_plant)
    live.fold_rows([
        _state(SHIFT + timedelta(minutes=10), "execute"),
        _row("DowntimeStarted", SHIFT + timedelta(hours=7), reason_code="PM", planned=True),
        _state(SHIFT + timedelta(hours=7), "stopped"),
    ])  # fmt: skip
    [row] = live.snapshot(SHIFT + timedelta(hours=7, minutes=30))
    assert row["run_time_s"] == pytest.approx(6 * 3600 + 50 * 60)
    assert row["planned_time_s"] == pytest.approx(7.5 * 3600 - 1800 - 0)  # PM is planned downtime
    live.fold_rows([_state(SHIFT + timedelta(hours=8, minutes=5), "execute")])  # the next shift
    [row] = live.snapshot(SHIFT + timedelta(hours=9))
    assert row["shift_id"] == "C"
    assert row["run_time_s"] == pytest.approx(55 * 60)
    assert row["idle_time_s"] == 0 and row["qty_good"] == 0
