"""UNS topics and payloads → envelopes with deterministic ids."""

from __future__ import annotations

import json

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.sim.transports.mqtt_publisher import uns_topic
from tests.unit.collect.conftest import T0


def _parse(resolver: UnsResolver, topic: str, body: dict[str, object]) -> CandidateBatch:
    batch = CandidateBatch(parser=PARSER)
    parse_uns(batch, resolver, "mqtt:uns", topic, json.dumps(body).encode(), T0)
    return batch


def test_the_same_reading_redelivered_gets_the_same_id_and_a_new_reading_a_new_one(
    resolver: UnsResolver,
) -> None:
    topic = resolver.topic_for("PR-01", "telemetry", "vibration_mm_s")
    a = _parse(resolver, topic, {"ts": "2026-01-05T06:00:00Z", "value": 4.5, "seq": 1})
    b = _parse(resolver, topic, {"ts": "2026-01-05T06:00:00Z", "value": 4.5, "seq": 1})
    c = _parse(resolver, topic, {"ts": "2026-01-05T06:00:01Z", "value": 4.5, "seq": 2})
    assert a.event_id == b.event_id != c.event_id


def test_the_simulator_topic_layout_is_the_one_the_connector_reads(resolver: UnsResolver) -> None:
    path = resolver.paths["AS-21"]
    assert uns_topic(path, "state", "machine_state") == resolver.topic_for("AS-21", "state", "machine_state")


def test_event_topics_take_their_type_from_the_name_and_epoch_ms_timestamps_are_read(
    resolver: UnsResolver,
) -> None:
    topic = resolver.topic_for("TS-11", "event", "TestFailed")
    batch = _parse(resolver, topic, {"ts": 1767592800000, "seq": 5, "defect": "leak"})
    assert batch.type == ["TestFailed"]
    assert batch.occurred_at[0] == T0
    assert json.loads(batch.payload[0] or "") == {"defect": "leak", "seq": 5}


def test_a_topic_whose_hierarchy_does_not_match_the_master_data_is_rejected(resolver: UnsResolver) -> None:
    batch = _parse(resolver, "ACME/SZ01/A-ASM/L1/IM-01/telemetry/t", {"ts": 1, "value": 1})
    assert batch.reject_reason == ["unknown_equipment"]


def test_uns_event_ids_are_the_kernel_ids_of_the_documented_key(resolver: UnsResolver) -> None:
    from plantloop.kernel.ids import deterministic_id

    topic = resolver.topic_for("PR-01", "telemetry", "vibration_mm_s")
    for seq in (7, None):
        body: dict[str, object] = {"ts": "2026-01-05T06:00:00Z", "value": 4.5}
        if seq is not None:
            body["seq"] = seq
        batch = _parse(resolver, topic, body)
        expected = deterministic_id(
            "mqtt:uns", "TelemetrySampled", "PR-01", "telemetry", "vibration_mm_s", T0, seq
        )
        assert batch.event_id == [expected]
