"""The shared warehouse fixture data: random whole shifts on three machines (with generated truth) plus
one hand-written shift on PR-01 whose OEE the tests compute by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from plantloop.dataplatform.live.shifts import shift_at
from plantloop.dataplatform.warehouse.synthetic import OdsEventLog, ShiftTruth, generate_plant_days
from plantloop.mes.masterdata.schema import PlantDefinition

RANDOM_EQUIPMENT = ["IM-01", "AS-11", "TS-11"]
HAND_EQUIPMENT = "PR-01"
HAND_MATERIAL, HAND_SEQ = "SA-KBODY", 10


def hand_day() -> date:
    """A working day (Mon–Sat) at least three days back, so its shifts are complete daily intervals."""
    day = datetime.now(UTC).date() - timedelta(days=3)
    while day.weekday() == 6:
        day -= timedelta(days=1)
    return day


def hand_shift_start(day: date) -> datetime:
    """Shift B (14:00–22:00 Asia/Shanghai) of ``day``: 06:00–14:00 UTC."""
    return datetime(day.year, day.month, day.day, 6, tzinfo=UTC)


def write_hand_shift(log: OdsEventLog, day: date) -> None:
    s = hand_shift_start(day)
    eq = HAND_EQUIPMENT
    log.downtime(
        equipment_id=eq,
        started_at=s + timedelta(minutes=30),
        ended_at=s + timedelta(minutes=60),
        reason_code="PM",
        planned=True,
    )
    log.operation(
        operation_id="HAND-OP-1", work_order_id="HAND-WO-1", material_id=HAND_MATERIAL, seq=HAND_SEQ,
        equipment_id=eq, started_at=s + timedelta(hours=1), completed_at=s + timedelta(hours=3),
        qty_good=95, qty_scrap=5, scrap_defect_code="D-CRACK",
    )  # fmt: skip
    log.downtime(
        equipment_id=eq,
        started_at=s + timedelta(hours=3, minutes=10),
        ended_at=s + timedelta(hours=3, minutes=55),
        reason_code="BRK",
        planned=False,
    )
    log.operation(
        operation_id="HAND-OP-2", work_order_id="HAND-WO-2", material_id=HAND_MATERIAL, seq=HAND_SEQ,
        equipment_id=eq, started_at=s + timedelta(hours=4), completed_at=s + timedelta(hours=7),
        qty_good=140, qty_scrap=0,
    )  # fmt: skip
    log.work_order(
        work_order_id="HAND-WO-1", material_id=HAND_MATERIAL, qty=100, created_at=s,
        due_at=s + timedelta(hours=4), completed_at=s + timedelta(hours=3), qty_good=95, qty_scrap=5,
    )  # fmt: skip
    log.work_order(
        work_order_id="HAND-WO-2", material_id=HAND_MATERIAL, qty=140, created_at=s,
        due_at=s + timedelta(hours=5), completed_at=s + timedelta(hours=7), qty_good=140, qty_scrap=0,
    )  # fmt: skip


@dataclass
class Dataset:
    database: Path
    hand_day: date
    first_day: date
    truth: dict[tuple[str, datetime], ShiftTruth]


def write_dataset(plant: PlantDefinition, database: Path, *, random_days: int = 3) -> Dataset:
    day = hand_day()
    first = day - timedelta(days=random_days - 1)
    log = OdsEventLog(plant)
    truth = generate_plant_days(log, RANDOM_EQUIPMENT, first, random_days, seed=11)
    write_hand_shift(log, day)
    assert shift_at(plant, hand_shift_start(day)) is not None
    with duckdb.connect(str(database)) as con:
        log.write(con)
    return Dataset(database, day, first, truth)
