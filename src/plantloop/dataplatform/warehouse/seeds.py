"""DIM seeds: the plant definition written as CSV files that the SEED models of the DIM layer load.

The shift calendar is expanded to shift instances (local shift date × shift, start and end in UTC) over a
fixed, generous range, so that the seed does not change when new data arrive (a changed seed would be a
breaking change in SQLMesh and rebuild everything downstream).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from plantloop.mes.masterdata.schema import PlantDefinition

CALENDAR_FIRST_DAY = date(2024, 1, 1)
CALENDAR_LAST_DAY = date(2028, 12, 31)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()  # unchanged: keep the file so that SQLMesh sees no change
        return
    tmp.replace(path)


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def shift_instances(
    plant: PlantDefinition, first_day: date = CALENDAR_FIRST_DAY, last_day: date = CALENDAR_LAST_DAY
) -> list[tuple[str, str, str, str, str, str]]:
    """(shift_date, shift_id, shift_name, weekday, shift_start_at, shift_end_at) on working days, UTC."""
    tz = ZoneInfo(plant.site.timezone)
    working = {d.value for d in plant.calendar.working_days}
    out: list[tuple[str, str, str, str, str, str]] = []
    day = first_day
    while day <= last_day:
        weekday = _WEEKDAYS[day.weekday()]
        if weekday in working:
            for shift in plant.calendar.shifts:
                start = datetime.combine(day, shift.start, tzinfo=tz)
                end = start + timedelta(hours=shift.duration_h)
                out.append((day.isoformat(), shift.id, shift.name, weekday, _ts(start), _ts(end)))
        day += timedelta(days=1)
    return out


def write_seeds(plant: PlantDefinition, seed_dir: Path) -> None:
    """Write every DIM seed of ``plant`` into ``seed_dir`` (files left untouched when unchanged)."""
    paths = plant.equipment_paths
    lines = []
    for area in plant.site.areas:
        for ln in area.lines:
            lines.append((ln.id, ln.name, area.id, plant.site.id, paths[ln.id]))
    _write(seed_dir / "dim_line.csv", ("line_id", "line_name", "area_id", "site_id", "equipment_path"), lines)
    _write(
        seed_dir / "dim_work_center.csv",
        ("work_center_id", "work_center_name", "line_id", "equipment_path"),
        [(wc.id, wc.name, plant.line_of[wc.id], paths[wc.id]) for wc in plant.work_centers.values()],
    )
    _write(
        seed_dir / "dim_equipment.csv",
        (
            "equipment_id",
            "equipment_name",
            "work_center_id",
            "line_id",
            "speed_factor",
            "design_mtbf_h",
            "equipment_path",
        ),
        [
            (
                eq.id,
                eq.name,
                plant.work_center_of[eq.id],
                plant.line_of[eq.id],
                eq.speed_factor,
                eq.reliability.mtbf_h,
                paths[eq.id],
            )
            for eq in plant.equipment.values()
        ],
    )
    _write(
        seed_dir / "dim_product.csv",
        ("material_id", "material_name", "material_kind", "family", "uom"),
        [(m.id, m.name, m.kind.value, m.family or "", m.uom) for m in plant.materials],
    )
    _write(
        seed_dir / "dim_routing_operation.csv",
        ("material_id", "seq", "operation_name", "run_time_s_per_unit", "setup_time_s", "inspection"),
        [
            (
                r.material_id,
                op.seq,
                op.name,
                op.run_time_s_per_unit,
                op.setup_time_s,
                str(op.inspection).lower(),
            )
            for r in plant.routings
            for op in r.operations
        ],
    )
    _write(
        seed_dir / "dim_shift.csv",
        ("shift_id", "shift_name", "start_local", "end_local", "duration_h", "timezone"),
        [
            (s.id, s.name, s.start.isoformat(), s.end.isoformat(), s.duration_h, plant.site.timezone)
            for s in plant.calendar.shifts
        ],
    )
    _write(
        seed_dir / "dim_shift_instance.csv",
        ("shift_date", "shift_id", "shift_name", "weekday", "shift_start_at", "shift_end_at"),
        shift_instances(plant),
    )
