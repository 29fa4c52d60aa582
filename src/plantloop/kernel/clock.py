"""Clocks: the system clock and a settable fake. All times are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator

#: The years plantloop takes a time from outside in (commands, telemetry, collected events): a shop-floor
#: time outside them is a broken clock or a typo, and one at year 9999 cannot even be shown in the plant's
#: time zone. Refused where it comes in, it never reaches the event log that everyone downstream reads.
EARLIEST_YEAR = 1990
LATEST_YEAR = 2200


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to — for tests and the simulator."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = ensure_utc(start) if start else datetime(2026, 1, 5, 6, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = ensure_utc(when)

    def advance(self, seconds: float) -> datetime:
        self._now = self._now + timedelta(seconds=seconds)
        return self._now


def ensure_utc(when: datetime) -> datetime:
    """Return ``when`` as aware UTC; naive datetimes are taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def plausible_time(when: datetime) -> datetime:
    """``when`` unchanged if its year lies in ``EARLIEST_YEAR..LATEST_YEAR``, else a ``ValueError``."""
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        raise ValueError(f"{when.isoformat()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return when


#: A datetime field that refuses implausible years (a 422 at the API, a quarantine reason at ingestion).
PlantTime = Annotated[datetime, AfterValidator(plausible_time)]
