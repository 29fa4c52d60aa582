"""Dirty data: a spoiled copy of the shop-floor event stream, as real connectors receive it.

From the clean stream (``events.py``) it makes duplicates, late events (sent hours after they happened),
out-of-order events (sent just after their successor), events with a missing field, test records that
never happened, and events from a legacy MES that uses other field names and a local timestamp format.
Every dirty item is recorded as ground truth (:class:`~plantloop.sim.faults.DirtyRecord`). The result is
ordered by ``sent_at`` — the order a subscriber would see.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from plantloop.kernel.ids import deterministic_id
from plantloop.sim.faults import DirtyRecord
from plantloop.sim.scenario import DirtyConfig, rng_stream


class DirtyKind(StrEnum):
    DUPLICATE = "duplicate"
    LATE = "late"
    OUT_OF_ORDER = "out_of_order"
    MISSING_FIELD = "missing_field"
    TEST_RECORD = "test_record"
    LEGACY_FIELDS = "legacy_fields"


#: How the legacy MES names our fields.
LEGACY_FIELD_NAMES = {
    "event_id": "EVT_ID",
    "type": "EVT_TYPE",
    "occurred_at": "EVT_TIME",
    "operation_id": "OPER_NO",
    "equipment_id": "MACH_ID",
    "qty_good": "QTY_OK",
    "qty_scrap": "QTY_NG",
    "reason_code": "STOP_CODE",
    "lot_id": "BATCH_NO",
}
LEGACY_TIME_FORMAT = "%Y%m%d %H:%M:%S"
_DROPPABLE = ("occurred_at", "equipment_id", "operation_id", "qty_good", "lot_id")


def spoil(
    events: list[dict[str, Any]], config: DirtyConfig, seed: int
) -> tuple[list[dict[str, Any]], list[DirtyRecord]]:
    """The dirty stream and one ground-truth record per dirty item."""
    rng = rng_stream(seed, "dirty")
    out: list[tuple[str, int, dict[str, Any]]] = []  # (sent_at, tie, event)
    truth: list[DirtyRecord] = []
    tie = 0
    for i, clean in enumerate(events):
        event = dict(clean)
        sent = datetime.fromisoformat(event["sent_at"])
        roll = rng.random(6)
        if roll[0] < config.late_p:
            delay = timedelta(minutes=float(rng.uniform(10, 360)))
            sent += delay
            truth.append(
                DirtyRecord(DirtyKind.LATE, event["event_id"], {"delay_s": round(delay.total_seconds())})
            )
        elif roll[1] < config.out_of_order_p and i + 1 < len(events):
            sent = datetime.fromisoformat(events[i + 1]["sent_at"]) + timedelta(seconds=1)
            truth.append(
                DirtyRecord(DirtyKind.OUT_OF_ORDER, event["event_id"], {"after": events[i + 1]["event_id"]})
            )
        event["sent_at"] = sent.isoformat()
        if roll[2] < config.missing_field_p:
            present = [f for f in _DROPPABLE if f in event]
            if present:
                dropped = present[int(rng.integers(len(present)))]
                del event[dropped]
                truth.append(DirtyRecord(DirtyKind.MISSING_FIELD, event["event_id"], {"field": dropped}))
        if roll[3] < config.legacy_p:
            event = _legacy(event)
            truth.append(DirtyRecord(DirtyKind.LEGACY_FIELDS, clean["event_id"], {"source": event["source"]}))
        out.append((event.get("sent_at", event.get("SENT_AT", "")), tie, event))
        tie += 1
        if roll[4] < config.duplicate_p:
            copy = dict(event)
            out.append((copy.get("sent_at", ""), tie, copy))
            tie += 1
            truth.append(DirtyRecord(DirtyKind.DUPLICATE, clean["event_id"], {}))
        if roll[5] < config.test_record_p:
            test = _test_record(clean, tie)
            out.append((test["sent_at"], tie, test))
            tie += 1
            truth.append(DirtyRecord(DirtyKind.TEST_RECORD, test["event_id"], {"like": clean["type"]}))
    out.sort(key=lambda x: (x[0], x[1]))
    return [e for _, _, e in out], truth


def _legacy(event: dict[str, Any]) -> dict[str, Any]:
    renamed: dict[str, Any] = {}
    for key, value in event.items():
        new_key = LEGACY_FIELD_NAMES.get(key, key.upper())
        if key == "occurred_at":
            value = datetime.fromisoformat(value).strftime(LEGACY_TIME_FORMAT)
        renamed[new_key] = value
    renamed["source"] = "legacy-mes"
    renamed["sent_at"] = event["sent_at"]
    renamed.pop("SENT_AT", None)
    renamed.pop("SOURCE", None)
    return renamed


def _test_record(like: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "event_id": deterministic_id("sim:test", n, like["event_id"]),
        "type": like["type"],
        "seq": -1,
        "occurred_at": like["occurred_at"],
        "sent_at": like["sent_at"],
        "source": like["source"],
        "operation_id": f"TEST-{n:06d}/010",
        "equipment_id": "TEST-BENCH-01",
        "operator_id": "TEST",
        "note": "test record",
    }
