"""The canonical envelope: deterministic ids, UTC normalisation, strict fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ids import deterministic_id


def test_the_same_source_keys_give_the_same_event_id() -> None:
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    a = EventEnvelope.create(type="OperationCompleted", source="mes", key=("WO-1/010", 3), occurred_at=at)
    b = EventEnvelope.create(type="OperationCompleted", source="mes", key=("WO-1/010", 3), occurred_at=at)
    c = EventEnvelope.create(type="OperationCompleted", source="mes", key=("WO-1/010", 4), occurred_at=at)
    assert a.id == b.id != c.id


def test_key_parts_cannot_collide_by_concatenation() -> None:
    assert deterministic_id("ab", "c") != deterministic_id("a", "bc")
    assert deterministic_id("a\x1fb") != deterministic_id("a", "b")


def test_local_times_are_stored_as_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    env = EventEnvelope.create(
        type="X", source="s", key=(1,), occurred_at=datetime(2026, 3, 1, 16, 0, tzinfo=shanghai)
    )
    assert env.occurred_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert env.occurred_at.tzinfo is not None


def test_unknown_envelope_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(
            {
                "id": "x",
                "type": "X",
                "occurred_at": "2026-01-01T00:00:00Z",
                "recorded_at": "2026-01-01T00:00:00Z",
                "source": "s",
                "surprise": 1,
            }
        )
