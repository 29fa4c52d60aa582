"""Sparkplug B payloads (protobuf): metrics by name or alias, births, deaths, bad input quarantined."""

from __future__ import annotations

import json

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.sparkplug import PARSER, Payload, SparkplugDecoder
from plantloop.collect.contracts import SourceKind
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.collect.parsers import replay_parsers
from plantloop.collect.quarantine import QuarantineService
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from tests.unit.collect.conftest import T0

MS = int(T0.timestamp() * 1000)
DEVICE = "spBv1.0/SZ01/{kind}/FAB-EDGE/IM-01"


def _payload(*metrics: dict[str, object], timestamp: int = MS) -> bytes:
    message = Payload(timestamp=timestamp, seq=0)
    for m in metrics:
        message.metrics.add(**m)
    return bytes(message.SerializeToString())


def _decode(decoder: SparkplugDecoder, topic: str, payload: bytes) -> CandidateBatch:
    batch = CandidateBatch(parser=PARSER)
    decoder.parse(batch, "mqtt:uns", topic, payload, T0)
    return batch


def test_a_birth_teaches_the_aliases_a_data_message_then_uses(reference_plant: PlantDefinition) -> None:
    decoder = SparkplugDecoder(dict(reference_plant.equipment_paths))
    birth = _payload(
        {"name": "temperature_c", "alias": 1, "datatype": 10, "double_value": 210.5},
        {"name": "state", "alias": 2, "datatype": 12, "string_value": "RUNNING"},
    )
    data = _payload({"alias": 1, "timestamp": MS + 1000, "datatype": 10, "double_value": 211.0})
    first = _decode(decoder, DEVICE.format(kind="DBIRTH"), birth)
    then = _decode(decoder, DEVICE.format(kind="DDATA"), data)
    assert first.entity == ["telemetry", "state"] and first.reject_reason == [None, None]
    assert [json.loads(p or "") for p in then.payload] == [
        {"tag": "temperature_c", "value": 211.0, "datatype": "Double"}
    ]
    assert then.equipment_path == [reference_plant.equipment_paths["IM-01"]]
    again = _decode(decoder, DEVICE.format(kind="DDATA"), data)
    assert again.event_id == then.event_id  # a metric sent twice has one id


def test_signed_integers_booleans_and_nulls_are_read_as_sparkplug_means_them(
    reference_plant: PlantDefinition,
) -> None:
    decoder = SparkplugDecoder(dict(reference_plant.equipment_paths))
    batch = _decode(
        decoder,
        DEVICE.format(kind="DDATA"),
        _payload(
            {"name": "offset", "datatype": 3, "int_value": 2**32 - 5},
            {"name": "door_open", "datatype": 11, "boolean_value": True},
            {"name": "recipe", "datatype": 12, "is_null": True},
        ),
    )
    values = [json.loads(p or "")["value"] for p in batch.payload]
    assert values == [-5, 1.0, "null"] and batch.entity == ["telemetry", "telemetry", "state"]


def test_bad_sparkplug_input_is_quarantined_with_a_reason_and_an_unknown_alias_replays_after_a_birth(
    landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    decoder = SparkplugDecoder(dict(reference_plant.equipment_paths))
    batch = CandidateBatch(parser=PARSER)
    for topic, payload in [
        (DEVICE.format(kind="DDATA"), _payload({"alias": 7, "datatype": 9, "float_value": 1.5})),
        (DEVICE.format(kind="DDATA"), b"\xff\xff not protobuf"),
        ("spBv1.0/SZ01/DDATA/FAB-EDGE/XX-99", _payload({"name": "t", "datatype": 10, "double_value": 1})),
        ("spBv1.0/SZ01/DCMD/FAB-EDGE/IM-01", _payload()),
        ("spBv1.0/SZ01/DDATA", _payload()),
        (
            DEVICE.format(kind="DDATA"),
            _payload({"name": "t", "datatype": 10, "double_value": 1}, timestamp=2**63),
        ),
    ]:
        decoder.parse(batch, "mqtt:uns", topic, payload, T0)
    result = landing.land(batch, source="mqtt:uns", kind=SourceKind.MQTT, want_rows=True)
    assert [r.reason for r in result.rows] == [
        "invalid_value",
        "malformed",
        "unknown_equipment",
        "unknown_contract",
        "bad_topic",
        "bad_timestamp",
    ]
    _decode(decoder, DEVICE.format(kind="DBIRTH"), _payload({"name": "torque_nm", "alias": 7, "datatype": 9}))
    parsers = replay_parsers(reference_plant, sparkplug_decoder=decoder)
    report = QuarantineService(landing, reference_plant, parsers=parsers).replay(reason="invalid_value")
    assert report.released == 1
    assert store.query("SELECT subject, payload->>'value' FROM ods_mqtt__telemetry") == [("torque_nm", "1.5")]
    (status,) = source_status(store)
    assert status.reconciles and (status.landed, status.quarantined) == (1, 5)


def test_a_device_death_lands_as_an_offline_event(reference_plant: PlantDefinition) -> None:
    batch = _decode(
        SparkplugDecoder(dict(reference_plant.equipment_paths)), DEVICE.format(kind="DDEATH"), _payload()
    )
    assert (batch.type, batch.entity, batch.occurred_at) == (["DeviceOffline"], ["event"], [T0])
