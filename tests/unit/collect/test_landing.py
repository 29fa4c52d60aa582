"""The one landing path: validation, dedupe, quarantine, ledger and checkpoint in one transaction."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.collect.contracts import SourceKind
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.dataplatform.ingest import OdsStore
from tests.unit.collect.conftest import T0

TOPIC = "ACME/SZ01/A-FAB/FAB/IM-01/telemetry/temperature_c"


def _batch(
    resolver: UnsResolver, bodies: list[dict[str, object] | bytes], topic: str = TOPIC
) -> CandidateBatch:
    batch = CandidateBatch(parser=PARSER)
    for body in bodies:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        parse_uns(batch, resolver, "mqtt:uns", topic, raw, T0)
    return batch


def _reading(i: int, value: object = 200.0) -> dict[str, object]:
    return {"ts": (T0 + timedelta(seconds=i)).isoformat(), "value": value, "seq": i}


def test_valid_rows_land_and_bad_rows_are_quarantined_with_their_reason(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    batch = _batch(resolver, [_reading(0), _reading(1, "hot"), b"{broken"])
    result = landing.land(batch, source="mqtt:uns", kind=SourceKind.MQTT, want_rows=True)
    assert (result.landed, result.quarantined, result.duplicates) == (1, 2, 0)
    assert [r.outcome for r in result.rows] == ["landed", "quarantined", "quarantined"]
    reasons = store.query("SELECT reason FROM ingest_quarantine ORDER BY quarantine_id")
    assert reasons == [("wrong_type",), ("malformed",)]
    row = store.query("SELECT type, equipment_path, subject, payload FROM ods_mqtt__telemetry")[0]
    assert row[:3] == ("TelemetrySampled", "ACME/SZ01/A-FAB/FAB/FAB-MOLD/IM-01", "temperature_c")
    assert json.loads(row[3]) == {"tag": "temperature_c", "value": 200.0, "seq": 0}


def test_an_event_offered_twice_lands_once_and_counts_as_a_duplicate(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    first = landing.land(
        _batch(resolver, [_reading(0), _reading(0)]), source="mqtt:uns", kind=SourceKind.MQTT
    )
    again = landing.land(
        _batch(resolver, [_reading(0), _reading(1)]), source="mqtt:uns", kind=SourceKind.MQTT
    )
    assert (first.landed, first.duplicates) == (1, 1)
    assert (again.landed, again.duplicates) == (1, 1)
    assert store.query("SELECT count(*) FROM ods_mqtt__telemetry") == [(2,)]


def test_the_ledger_reconciles_offered_with_landed_quarantined_and_duplicates(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    landing.land(
        _batch(resolver, [_reading(0), _reading(0), b"x", _reading(2)]),
        source="mqtt:uns",
        kind=SourceKind.MQTT,
    )
    landing.land(_batch(resolver, [_reading(2), _reading(3, [])]), source="mqtt:uns", kind=SourceKind.MQTT)
    (status,) = source_status(store)
    assert (status.offered, status.landed, status.quarantined, status.duplicates) == (6, 2, 2, 2)
    assert status.reconciles


def test_late_and_out_of_order_events_are_kept_and_read_back_in_occurred_at_order(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    landing.land(_batch(resolver, [_reading(5), _reading(9)]), source="mqtt:uns", kind=SourceKind.MQTT)
    landing.land(_batch(resolver, [_reading(1), _reading(7)]), source="mqtt:uns", kind=SourceKind.MQTT)
    ordered = store.events_by_occurred_at("ods_mqtt__telemetry").column("occurred_at").to_pylist()
    assert [(t - T0).seconds for t in ordered] == [1, 5, 7, 9]
    view = store.query("SELECT count(*) FROM ods_events_by_occurred_at")
    assert view == [(4,)]


def test_a_failing_landing_keeps_neither_rows_nor_counts_nor_checkpoint(
    store: OdsStore, resolver: UnsResolver
) -> None:
    batch = _batch(resolver, [_reading(0)])
    with pytest.raises(KeyError):
        store.land(
            batch.to_arrow(), source="mqtt:uns", kind="mqtt", parser=PARSER, tables={}, checkpoint="99"
        )
    assert store.checkpoint("mqtt:uns") is None
    assert store.query("SELECT count(*) FROM ingest_ledger") == [(0,)]


def test_unknown_equipment_is_quarantined_by_the_master_data_check(
    landing: Landing, resolver: UnsResolver
) -> None:
    resolver.paths["GHOST"] = (
        "ACME/SZ01/A-FAB/FAB/FAB-MOLD/GHOST"  # the parser knows it, master data does not
    )
    batch = _batch(resolver, [_reading(0)], topic="ACME/SZ01/A-FAB/FAB/GHOST/telemetry/t")
    result = landing.land(batch, source="mqtt:uns", kind=SourceKind.MQTT, want_rows=True)
    assert result.rows[0].reason == "unknown_equipment"
