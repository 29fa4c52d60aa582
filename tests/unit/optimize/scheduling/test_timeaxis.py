"""The plant time axis: compressed over shift windows, rounding that keeps due dates honest."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from plantloop.mes.masterdata.schema import Shift, ShiftCalendar, Weekday
from plantloop.optimize.scheduling.problem import SchedulingInputError
from plantloop.optimize.scheduling.timeaxis import TimeAxis, calendar_windows

ORIGIN = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # a Monday


def test_without_windows_model_time_is_elapsed_time_in_units() -> None:
    axis = TimeAxis(ORIGIN, unit_s=60.0)
    assert axis.to_units(3600.0) == 60
    assert axis.to_seconds(60) == 3600.0
    assert axis.to_datetime(90) == ORIGIN + timedelta(minutes=90)


def test_breaks_cost_nothing_on_a_compressed_axis() -> None:
    # work 0-8 h and 10-18 h: the two-hour break disappears from model time
    axis = TimeAxis(ORIGIN, unit_s=60.0, windows=((0.0, 8 * 3600.0), (10 * 3600.0, 18 * 3600.0)))
    assert axis.to_units(9 * 3600.0) == 8 * 60  # inside the break: the end of the first window
    assert axis.to_units(11 * 3600.0) == 9 * 60
    # an operation of 10 h starting at 0 ends at 12 h wall time
    assert axis.to_seconds(10 * 60) == 12 * 3600.0


def test_due_dates_round_up_and_starts_round_down() -> None:
    axis = TimeAxis(ORIGIN, unit_s=60.0)
    assert axis.to_units(90.0) == 1
    assert axis.to_units_ceil(90.0) == 2
    assert axis.duration_units(1.0) == 1
    assert axis.duration_units(0.0) == 0


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(SchedulingInputError):
        TimeAxis(ORIGIN, windows=((0.0, 10.0), (5.0, 20.0)))


def test_a_naive_origin_is_refused() -> None:
    with pytest.raises(SchedulingInputError):
        TimeAxis(datetime(2026, 1, 5), unit_s=60.0)


def test_calendar_windows_merge_three_shifts_and_skip_sunday() -> None:
    calendar = ShiftCalendar(
        id="CAL",
        shifts=[
            Shift(id="A", name="a", start=time(6), end=time(14)),
            Shift(id="B", name="b", start=time(14), end=time(22)),
            Shift(id="C", name="c", start=time(22), end=time(6)),
        ],
        working_days=[Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT],
    )
    windows = calendar_windows(calendar, "UTC", ORIGIN, 8 * 86_400.0)
    # Sunday's night shift belongs to Sunday (not worked): Saturday 22:00 → Sunday 06:00 is the last
    # stretch of the week, then nothing until Monday 06:00
    first = windows[0]
    assert first[0] <= 0.0
    assert first[1] == pytest.approx(6 * 86_400.0)  # Monday 06:00 → Sunday 06:00
    assert windows[1][0] == pytest.approx(7 * 86_400.0)  # next Monday 06:00
