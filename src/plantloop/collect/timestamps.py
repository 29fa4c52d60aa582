"""Source timestamps → timezone-aware UTC: ISO-8601 text, epoch milliseconds, or local wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_MIN_EPOCH_MS = 0
_MAX_EPOCH_MS = 7_258_118_400_000  # 2200-01-01


class BadTimestamp(ValueError):
    pass


def parse_timestamp(value: object, *, naive_tz: ZoneInfo | None = None) -> datetime:
    """ISO text (``Z`` or offset; naive text is ``naive_tz``, default UTC) or epoch ms as a number."""
    if isinstance(value, bool):
        raise BadTimestamp(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        if not _MIN_EPOCH_MS <= value <= _MAX_EPOCH_MS:
            raise BadTimestamp(f"epoch milliseconds out of range: {value!r}")
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise BadTimestamp(f"not an ISO-8601 timestamp: {value[:60]!r}") from None
    else:
        raise BadTimestamp(f"not a timestamp: {type(value).__name__}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=naive_tz or UTC)
    return when.astimezone(UTC)
