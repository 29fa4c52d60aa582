"""The browser tests' plant history reaches back over the plant's rest day (CI failed on a Sunday)."""

from __future__ import annotations

from datetime import UTC, datetime

from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.calendar import SimCalendar
from tests.e2e.browser.plant import HISTORY_H, history_start


def test_on_a_working_day_the_history_is_the_last_hours(reference_plant: PlantDefinition) -> None:
    now = datetime(2026, 11, 25, 5, 24, tzinfo=UTC)  # Wednesday 13:24 in Suzhou
    assert history_start(reference_plant, now) == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def test_on_the_rest_day_the_history_reaches_back_into_the_last_shifts(
    reference_plant: PlantDefinition,
) -> None:
    now = datetime(2026, 11, 29, 5, 24, tzinfo=UTC)  # Sunday 13:24 in Suzhou: no shift since 06:00
    start = history_start(reference_plant, now)
    assert start == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # Saturday 22:00 in Suzhou
    cal = SimCalendar(reference_plant.calendar, reference_plant.site.timezone, start, 86_400)
    assert cal.working_s(0, (now - start).total_seconds()) >= HISTORY_H * 3600
