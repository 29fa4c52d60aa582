"""A generated corpus of malformed input for MQTT, REST and CSV: each case must be quarantined or refused."""

from __future__ import annotations

import json
from dataclasses import dataclass

GOOD_TOPIC = "ACME/SZ01/A-FAB/FAB/IM-01/telemetry/temperature_c"
TS = "2026-01-05T06:00:00+00:00"
INJECTIONS = [
    "'; DROP TABLE ods_mqtt__telemetry; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM ingest_ledger; --",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "\x00\x01\x02",
]


@dataclass(frozen=True)
class MqttCase:
    name: str
    topic: str
    payload: bytes


def mqtt_cases() -> list[MqttCase]:
    cases: list[MqttCase] = []
    good = json.dumps({"ts": TS, "value": 211.5, "seq": 1})
    for cut in range(1, len(good) - 1):  # truncated JSON
        cases.append(MqttCase(f"truncated_{cut}", GOOD_TOPIC, good[:cut].encode()))
    for i, text in enumerate(["{", '{"ts":}', '{"ts": 1,}', "{'ts': 1}", "", " ", "nul", "[1,2", '{"a":1}}']):
        cases.append(MqttCase(f"broken_json_{i}", GOOD_TOPIC, text.encode()))
    for i, text in enumerate(["null", "[]", '"text"', "42", "true"]):
        cases.append(MqttCase(f"not_object_{i}", GOOD_TOPIC, text.encode()))
    for i, value in enumerate(["hot", [], {}, True, None, *INJECTIONS]):
        body = json.dumps({"ts": TS, "value": value, "seq": 100 + i})
        cases.append(MqttCase(f"wrong_value_type_{i}", GOOD_TOPIC, body.encode()))
    for i, ts in enumerate([{}, [], True, "yesterday", -5, 1e20, "2026-13-45T99:00:00", *INJECTIONS]):
        cases.append(MqttCase(f"bad_ts_{i}", GOOD_TOPIC, json.dumps({"ts": ts, "value": 1.0}).encode()))
    for i, seq in enumerate(["1", 1.5, [], True]):
        cases.append(
            MqttCase(f"bad_seq_{i}", GOOD_TOPIC, json.dumps({"ts": TS, "value": 1.0, "seq": seq}).encode())
        )
    cases.append(MqttCase("missing_ts", GOOD_TOPIC, b'{"value": 1.0}'))
    cases.append(MqttCase("missing_value", GOOD_TOPIC, json.dumps({"ts": TS}).encode()))
    cases.append(MqttCase("nan_value", GOOD_TOPIC, f'{{"ts": "{TS}", "value": NaN}}'.encode()))
    cases.append(MqttCase("inf_value", GOOD_TOPIC, f'{{"ts": "{TS}", "value": Infinity}}'.encode()))
    cases.append(MqttCase("overflow_value", GOOD_TOPIC, f'{{"ts": "{TS}", "value": 1e400}}'.encode()))
    cases.append(MqttCase("deep_nesting", GOOD_TOPIC, b"[" * 100_000))
    pad = "x" * 70_000
    cases.append(
        MqttCase("oversized_70k", GOOD_TOPIC, json.dumps({"ts": TS, "value": 1.0, "pad": pad}).encode())
    )
    cases.append(
        MqttCase("oversized_1m", GOOD_TOPIC, json.dumps({"ts": TS, "value": 1.0, "pad": pad * 15}).encode())
    )
    for i, raw in enumerate(
        [
            b"\xff\xfe",
            "ä".encode("latin-1") + b'{"ts":1}',
            '{"ts": 1}'.encode("utf-16"),
            b'{"ts": "\xed\xa0\x80"}',
            b"\xc0\xaf",
            b'{"value": 1.0, "ts": "\x80"}',
        ]
    ):
        cases.append(MqttCase(f"bad_encoding_{i}", GOOD_TOPIC, raw))
    ok = json.dumps({"ts": TS, "value": 1.0}).encode()
    for i, cell in enumerate(
        ["XX-99", "IM-99", "AS-11", "", *INJECTIONS]
    ):  # AS-11 exists, but not on line FAB
        cases.append(MqttCase(f"unknown_equipment_{i}", f"ACME/SZ01/A-FAB/FAB/{cell}/telemetry/t", ok))
    for i, topic in enumerate(
        [
            "ACME/SZ01/A-FAB/FAB/IM-01/telemetry",
            "ACME/SZ01/A-FAB/FAB/IM-01/telemetry/a/b",
            "ACME//A-FAB/FAB/IM-01/telemetry/t",
            "ACME/SZ01/A-FAB/FAB/IM-01/metrics/t",
            "OTHER/SZ01/A-FAB/FAB/IM-01/telemetry/t",
            "ACME/SZ01/A-FAB/FAB/IM-01/event/lowercase",
            "ACME/SZ01/A-FAB/FAB/IM-01/telemetry/bad tag!",
            *(f"ACME/SZ01/A-FAB/FAB/IM-01/{inj}/t" for inj in INJECTIONS),
            *(f"ACME/SZ01/A-FAB/FAB/IM-01/telemetry/{inj}" for inj in INJECTIONS[:3]),
        ]
    ):
        cases.append(MqttCase(f"bad_topic_{i}", topic, ok))
    return cases


def rest_bad_events() -> list[object]:
    """Single events that must be quarantined (the request itself is well-formed)."""
    base = {"type": "LotReceived", "occurred_at": TS, "key": ["L-1"], "payload": {"qty": 1}}
    events: list[object] = [None, 1, "text", [], {}]
    for field in ("type", "occurred_at", "key"):
        events.append({k: v for k, v in base.items() if k != field})
        events.append({**base, field: ""})
    for value in ["lotReceived", "Lot Received", 12, *INJECTIONS]:
        events.append({**base, "type": value})
    for value in [True, {"a": 1}, [True], [[1]], None]:
        events.append({**base, "key": value})
    for value in ["yesterday", {}, 1e20, True, *INJECTIONS]:
        events.append({**base, "occurred_at": value})
    for value in [[], "text", 5]:
        events.append({**base, "payload": value})
    for value in ["XX-01", *INJECTIONS]:
        events.append({**base, "equipment_id": value})
    events.append({**base, "equipment_path": "ACME/NOPE/X"})
    events.append({**base, "equipment_path": 5})
    events.append({**base, "subject": "s" * 300})
    events.append({**base, "payload": {"pad": "x" * 70_000}})
    return events


def rest_bad_bodies() -> list[tuple[bytes, int]]:
    """Whole requests that must be refused, with the status expected."""
    return [
        (b"not json", 422),
        (b"\xff\xfe{}", 422),
        (b"[]", 422),
        (b'{"events": {}}', 422),
        (b'{"evnts": []}', 422),
        (b"{" * 50_000, 422),
        (json.dumps({"events": [{}] * 10_001}).encode(), 413),
        (b'{"events": ["' + b"x" * (6 * 1024 * 1024) + b'"]}', 413),
    ]


def csv_bad_rows() -> list[bytes]:
    """Data lines (header: order_no,material_id,qty,due_at) that must be quarantined."""
    rows = [
        b",KETTLE-A,10,2026-02-01T00:00:00Z",
        b"O-1,,10,2026-02-01T00:00:00Z",
        b"O-1,KETTLE-A,,2026-02-01T00:00:00Z",
        b"O-1,KETTLE-A,10,",
        b"O-1,KETTLE-A,ten,2026-02-01T00:00:00Z",
        b"O-1,KETTLE-A,2.5,2026-02-01T00:00:00Z",
        b"O-1,KETTLE-A,NaN,2026-02-01T00:00:00Z",
        b"O-1,KETTLE-A,10,next week",
        b"O-1,KETTLE-A,10,2026-02-30T00:00:00Z",
        b"O-1,KETTLE-A,10,2026-02-01T00:00:00Z,extra",
        "O-1,KÄTTLE,10,2026-02-01T00:00:00Z".encode("latin-1"),
        b"O-\xff,KETTLE-A,10,2026-02-01T00:00:00Z",
    ]
    for inj in INJECTIONS:
        clean = inj.replace(",", ";").replace('"', "'").replace("\x00", "").encode()
        rows.append(b"O-9,KETTLE-A," + clean + b",2026-02-01T00:00:00Z")
        rows.append(b"O-9,KETTLE-A,10," + clean)
    return rows
