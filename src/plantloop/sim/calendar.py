"""The shift calendar in simulation seconds: when the plant works and which shift is on.

Shift times in the plant file are local times of the site's timezone; a shift belongs to the day it
starts on, so a night shift starting on the last working day runs into the next morning. Simulation time
``t`` is seconds since the run's ``start_at`` (UTC).
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plantloop.mes.masterdata.schema import ShiftCalendar, Weekday

_WEEKDAYS = [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT, Weekday.SUN]


class SimCalendar:
    """Working windows (merged shift instances) and shift instances over the horizon plus a margin."""

    def __init__(self, calendar: ShiftCalendar, timezone: str, start_at: datetime, horizon_s: float) -> None:
        tz = ZoneInfo(timezone)
        self.start_at = start_at
        local_start = start_at.astimezone(tz)
        working = set(calendar.working_days)
        shifts: list[tuple[float, float, str]] = []
        day = local_start.date() - timedelta(days=1)
        last_day = (start_at + timedelta(seconds=horizon_s)).astimezone(tz).date() + timedelta(days=8)
        while day <= last_day:
            if _WEEKDAYS[day.weekday()] in working:
                for shift in calendar.shifts:
                    begin = datetime.combine(day, shift.start, tzinfo=tz)
                    end = begin + timedelta(hours=shift.duration_h)
                    shifts.append((self._s(begin), self._s(end), shift.id))
            day += timedelta(days=1)
        shifts.sort()
        self._shift_starts = [s for s, _, _ in shifts]
        self._shifts = shifts
        windows: list[list[float]] = []
        for begin_s, end_s, _ in shifts:
            if windows and begin_s <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end_s)
            else:
                windows.append([begin_s, end_s])
        self._win_starts = [w[0] for w in windows]
        self._win_ends = [w[1] for w in windows]

    def _s(self, when: datetime) -> float:
        return (when - self.start_at).total_seconds()

    def at(self, t: float) -> datetime:
        return self.start_at + timedelta(seconds=t)

    def _window(self, t: float) -> int:
        return bisect.bisect_right(self._win_starts, t) - 1

    def is_working(self, t: float) -> bool:
        i = self._window(t)
        return i >= 0 and t < self._win_ends[i]

    def next_start(self, t: float) -> float:
        """``t`` itself when working, else the start of the next working window (``inf`` if none)."""
        i = self._window(t)
        if i >= 0 and t < self._win_ends[i]:
            return t
        return self._win_starts[i + 1] if i + 1 < len(self._win_starts) else math.inf

    def window_end(self, t: float) -> float:
        """End of the working window containing ``t`` (``t`` itself when not working)."""
        i = self._window(t)
        return self._win_ends[i] if i >= 0 and t < self._win_ends[i] else t

    def shift_at(self, t: float) -> str | None:
        """The shift on at ``t`` (shifts of one calendar do not overlap), ``None`` outside shifts."""
        i = bisect.bisect_right(self._shift_starts, t) - 1
        if i >= 0 and t < self._shifts[i][1]:
            return self._shifts[i][2]
        return None

    def add_working(self, t: float, seconds: float) -> float:
        """The time by which ``seconds`` of working time have passed after ``t`` (how a planner quotes a
        due date: "three working days", not "three calendar days")."""
        left = max(seconds, 0.0)
        t = self.next_start(t)
        while math.isfinite(t):
            end = self.window_end(t)
            if end - t >= left:
                return t + left
            left -= end - t
            t = self.next_start(end)
        return math.inf

    def back_working(self, t: float, seconds: float) -> float:
        """The latest time from which ``seconds`` of working time have passed by ``t`` (:meth:`add_working`
        backwards; ``-inf`` when the calendar's windows do not reach back that far)."""
        left = max(seconds, 0.0)
        if left == 0:
            return t
        i = self._window(t)
        while i >= 0:
            end = min(t, self._win_ends[i])
            if end - self._win_starts[i] >= left:
                return end - left
            left -= end - self._win_starts[i]
            i -= 1
        return -math.inf

    def working_s(self, t0: float, t1: float) -> float:
        """Working seconds in ``[t0, t1)``."""
        total = 0.0
        i = max(self._window(t0), 0)
        while i < len(self._win_starts) and self._win_starts[i] < t1:
            total += max(0.0, min(t1, self._win_ends[i]) - max(t0, self._win_starts[i]))
            i += 1
        return total
