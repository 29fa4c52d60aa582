"""The scheduling time axis of a plant: wall-clock seconds ↔ the integer time units the model works in.

A plant schedule starts at ``origin`` (the moment it is made: model time 0) and counts in units of
``unit_s`` seconds. With working windows (the shift calendar) the axis is *compressed*: model time is the
working time elapsed since the origin, so an operation that reaches the end of a shift pauses and resumes
in the next one — exactly how the shop floor runs it — and breaks cost nothing. This is valid because all
machines of a plant share its calendar; machine-specific outages (maintenance, breakdowns) stay explicit
unavailable intervals on the compressed axis. Without windows the axis is plain elapsed time.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plantloop.mes.masterdata.schema import ShiftCalendar
from plantloop.optimize.scheduling.problem import SchedulingInputError


@dataclass(frozen=True)
class TimeAxis:
    """Maps seconds after ``origin_at`` to model units and back; see the module docstring."""

    origin_at: datetime
    unit_s: float = 60.0
    #: working windows as (start, end) seconds after the origin, sorted, disjoint; empty = always working
    windows: tuple[tuple[float, float], ...] = ()
    _starts: list[float] = field(default_factory=list, init=False, repr=False, compare=False)
    _cum: list[float] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.unit_s <= 0:
            raise SchedulingInputError("time unit must be positive", unit_s=self.unit_s)
        if self.origin_at.tzinfo is None:
            raise SchedulingInputError("origin must be timezone-aware", origin_at=str(self.origin_at))
        cum = 0.0
        prev_end = -math.inf
        for start, end in self.windows:
            if end <= start or start < prev_end:
                raise SchedulingInputError("working windows must be sorted and disjoint", start=start)
            self._starts.append(start)
            self._cum.append(cum)
            cum += end - start
            prev_end = end

    @classmethod
    def with_windows(
        cls, origin_at: datetime, windows: Sequence[tuple[float, float]], unit_s: float = 60.0
    ) -> TimeAxis:
        """An axis over ``windows`` clipped to start at the origin (earlier working time is dropped)."""
        clipped = tuple((max(s, 0.0), e) for s, e in windows if e > 0)
        return cls(origin_at=origin_at, unit_s=unit_s, windows=clipped)

    # ---- seconds after the origin ↔ working seconds -----------------------------------------------
    def _working_s(self, t_s: float) -> float:
        if not self.windows:
            return max(0.0, t_s)
        i = bisect.bisect_right(self._starts, t_s) - 1
        if i < 0:
            return 0.0
        start, end = self.windows[i]
        return self._cum[i] + min(t_s, end) - start

    def _wall_s(self, working_s: float) -> float:
        if not self.windows:
            return working_s
        i = bisect.bisect_right(self._cum, working_s) - 1
        if i < 0:
            return self.windows[0][0]
        start, end = self.windows[i]
        offset = working_s - self._cum[i]
        if offset > end - start:  # past the last window: extend it
            return end + (offset - (end - start))
        return start + offset

    # ---- public mapping ----------------------------------------------------------------------------
    def to_units(self, t_s: float) -> int:
        """Model time of ``t_s`` seconds after the origin (rounded down; never negative)."""
        return max(0, math.floor(self._working_s(t_s) / self.unit_s))

    def to_units_ceil(self, t_s: float) -> int:
        """Model time of ``t_s`` rounded up (for due dates and earliest starts that must be met)."""
        return max(0, math.ceil(self._working_s(t_s) / self.unit_s - 1e-9))

    def duration_units(self, seconds: float) -> int:
        """A working duration in model units, rounded up, at least 1 for positive durations."""
        if seconds <= 0:
            return 0
        return max(1, math.ceil(seconds / self.unit_s - 1e-9))

    def to_seconds(self, units: int) -> float:
        """Seconds after the origin at which model time ``units`` falls."""
        return self._wall_s(units * self.unit_s)

    def to_datetime(self, units: int) -> datetime:
        return self.origin_at + timedelta(seconds=self.to_seconds(units))

    def seconds_of(self, at: datetime) -> float:
        """Seconds after the origin of a timezone-aware datetime."""
        return (at - self.origin_at).total_seconds()


def calendar_windows(
    calendar: ShiftCalendar, timezone: str, origin_at: datetime, horizon_s: float
) -> tuple[tuple[float, float], ...]:
    """Working windows of a shift calendar (merged shift instances) from ``origin_at`` for ``horizon_s``,
    in seconds after the origin. Shift times are local to ``timezone``; a shift belongs to the day it
    starts on, so a night shift runs into the next morning."""
    tz = ZoneInfo(timezone)
    working = {d.value for d in calendar.working_days}
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    day = origin_at.astimezone(tz).date() - timedelta(days=1)
    last = (origin_at + timedelta(seconds=horizon_s)).astimezone(tz).date()
    spans: list[tuple[float, float]] = []
    merged: list[list[float]] = []
    while day <= last:
        if names[day.weekday()] in working:
            for shift in calendar.shifts:
                begin = datetime.combine(day, shift.start, tzinfo=tz)
                finish = begin + timedelta(hours=shift.duration_h)
                spans.append(((begin - origin_at).total_seconds(), (finish - origin_at).total_seconds()))
        day += timedelta(days=1)
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((s, e) for s, e in merged if e > 0)
