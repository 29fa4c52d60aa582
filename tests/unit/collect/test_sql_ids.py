"""Ids computed in SQL (the batch parsers) are the kernel's deterministic ids of the documented key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantloop.collect.connectors.rest import parse_events
from plantloop.collect.sql import source_table
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.ids import deterministic_id

KEY_PART = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
WHEN = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(KEY_PART, min_size=1, max_size=4), WHEN, st.sampled_from(["LotReceived", "Q1Passed"]))
def test_rest_event_ids_are_the_kernel_ids_of_source_type_key_and_time(
    store: OdsStore, key: list[object], when: datetime, event_type: str
) -> None:
    event = {"type": event_type, "occurred_at": when.isoformat(), "key": key}
    batch = parse_events(store, "rest:erp", source_table([orjson.dumps(event)], ["events#t#0"]))
    assert batch.column("reject_reason").to_pylist() == [None]
    assert batch.column("event_id").to_pylist() == [deterministic_id("rest:erp", event_type, *key, when)]


def test_the_same_event_gets_one_id_whatever_offset_its_time_is_written_in(store: OdsStore) -> None:
    when = datetime(2026, 1, 5, 6, 0, 0, 250000, tzinfo=UTC)
    written = [when.isoformat(), when.astimezone().isoformat(), "2026-01-05T14:00:00.25+08:00", 1767592800250]
    events = [orjson.dumps({"type": "LotReceived", "occurred_at": w, "key": "L-1"}) for w in written]
    batch = parse_events(store, "rest:erp", source_table(events, [f"events#t#{i}" for i in range(4)]))
    assert set(batch.column("event_id").to_pylist()) == {
        deterministic_id("rest:erp", "LotReceived", "L-1", when)
    }
    assert batch.column("occurred_at").to_pylist() == [when] * 4
    assert when + timedelta(0) == batch.column("occurred_at")[0].as_py()
