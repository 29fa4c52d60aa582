"""Which shift instance a UTC instant falls in, from the plant calendar (site time zone, working days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from plantloop.mes.masterdata.schema import PlantDefinition

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ShiftInstance:
    shift_date: date
    shift_id: str
    start_at: datetime
    end_at: datetime


_CACHE: dict[tuple[int, date], tuple[ShiftInstance, ...]] = {}


def _instances(plant: PlantDefinition, day: date) -> tuple[ShiftInstance, ...]:
    key = (id(plant), day)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    tz = ZoneInfo(plant.site.timezone)
    out: list[ShiftInstance] = []
    if _WEEKDAYS[day.weekday()] in {d.value for d in plant.calendar.working_days}:
        for shift in plant.calendar.shifts:
            start = datetime.combine(day, shift.start, tzinfo=tz).astimezone(UTC)
            out.append(ShiftInstance(day, shift.id, start, start + timedelta(hours=shift.duration_h)))
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[key] = tuple(out)
    return _CACHE[key]


def shift_at(plant: PlantDefinition, at: datetime) -> ShiftInstance | None:
    """The shift running at ``at`` (UTC), or None outside working time."""
    local_day = at.astimezone(ZoneInfo(plant.site.timezone)).date()
    for day in (local_day, local_day - timedelta(days=1)):
        for inst in _instances(plant, day):
            if inst.start_at <= at < inst.end_at:
                return inst
    return None
