"""Sparkplug B over MQTT: the second payload format beside UNS JSON (Eclipse Tahu protobuf ``Payload``).

Topic ``spBv1.0/<group>/<type>/<edge node>[/<device>]``. ``NBIRTH`` / ``DBIRTH`` / ``NDATA`` / ``DDATA``
carry metrics. Each metric lands as one ``TelemetrySampled`` row in ``ods_mqtt__telemetry`` (numbers;
booleans as 1 / 0) or one ``StateReported`` row in ``ods_mqtt__state`` (text; a null metric as
``"null"``), with tag = metric name. ``NDEATH`` / ``DDEATH`` land as ``EdgeNodeOffline`` /
``DeviceOffline`` in ``ods_mqtt__event``. The device id is the equipment id of the master data (the edge
node's id when there is no device). The event id is (source, group, node, device, metric, metric
timestamp), so a metric sent twice lands once.

Data messages may name a metric only by its alias: the aliases of each node and device are learnt from
its BIRTH. An alias never born (e.g. after the collector restarted, until the edge node re-births) is
quarantined, one record per metric, and lands on replay once the BIRTH has been seen.

The schema is the Sparkplug B ``Payload`` / ``Metric`` subset with scalar values (field numbers as in
``sparkplug_b.proto``), declared with the protobuf library's descriptor API; datasets, templates and
metadata are kept as unknown fields and such metrics are quarantined as ``invalid_value``. Sparkplug asks
publishers to send data at QoS 0: what the broker does not queue cannot be collected after an outage —
where the edge allows, publish at QoS 1 (the collector subscribes at QoS 1 and acks after landing).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.event_ids import fast_id

PARSER = "mqtt.sparkplug"
NAMESPACE = "spBv1.0"
DATA_TYPES = ("NBIRTH", "DBIRTH", "NDATA", "DDATA")
DEATH_TYPES = {"NDEATH": "EdgeNodeOffline", "DDEATH": "DeviceOffline"}
#: Sparkplug datatype codes of the scalar values we read.
DATATYPES = {1: "Int8", 2: "Int16", 3: "Int32", 4: "Int64", 5: "UInt8", 6: "UInt16", 7: "UInt32",
             8: "UInt64", 9: "Float", 10: "Double", 11: "Boolean", 12: "String", 13: "DateTime",
             14: "Text"}  # fmt: skip
_VALUES = ("int_value", "long_value", "float_value", "double_value", "boolean_value", "string_value")


def _schema() -> tuple[Any, Any]:
    F = descriptor_pb2.FieldDescriptorProto
    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    proto = descriptor_pb2.FileDescriptorProto(
        name="plantloop/sparkplug_b.proto", package="org.eclipse.tahu.protobuf", syntax="proto2"
    )
    payload = proto.message_type.add(name="Payload")
    for name, number, kind, label in (
        ("timestamp", 1, F.TYPE_UINT64, opt),
        ("seq", 3, F.TYPE_UINT64, opt),
        ("uuid", 4, F.TYPE_STRING, opt),
        ("body", 5, F.TYPE_BYTES, opt),
    ):
        payload.field.add(name=name, number=number, type=kind, label=label)
    metric_type = ".org.eclipse.tahu.protobuf.Payload.Metric"
    payload.field.add(name="metrics", number=2, type=F.TYPE_MESSAGE, label=rep, type_name=metric_type)
    metric = payload.nested_type.add(name="Metric")
    metric.oneof_decl.add(name="value")
    for name, number, kind, in_oneof in (
        ("name", 1, F.TYPE_STRING, False),
        ("alias", 2, F.TYPE_UINT64, False),
        ("timestamp", 3, F.TYPE_UINT64, False),
        ("datatype", 4, F.TYPE_UINT32, False),
        ("is_historical", 5, F.TYPE_BOOL, False),
        ("is_transient", 6, F.TYPE_BOOL, False),
        ("is_null", 7, F.TYPE_BOOL, False),
        ("int_value", 10, F.TYPE_UINT32, True),
        ("long_value", 11, F.TYPE_UINT64, True),
        ("float_value", 12, F.TYPE_FLOAT, True),
        ("double_value", 13, F.TYPE_DOUBLE, True),
        ("boolean_value", 14, F.TYPE_BOOL, True),
        ("string_value", 15, F.TYPE_STRING, True),
        ("bytes_value", 16, F.TYPE_BYTES, True),
    ):
        field = metric.field.add(name=name, number=number, type=kind, label=opt)
        if in_oneof:
            field.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    payload_class = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("org.eclipse.tahu.protobuf.Payload")
    )
    return payload_class, payload_class.Metric


Payload, Metric = _schema()


def _signed(value: int, datatype: int) -> int:
    """Sparkplug sends signed integers in unsigned fields (two's complement of their width)."""
    bits = {1: 8, 2: 16, 3: 32, 4: 64}.get(datatype)
    if bits and value >= 1 << (bits - 1):
        return value - (1 << bits)
    return value


class SparkplugDecoder:
    """Decodes Sparkplug B messages into candidate rows; remembers each node's and device's aliases."""

    def __init__(self, equipment_paths: dict[str, str]) -> None:
        self.paths = equipment_paths
        self._aliases: dict[tuple[str, str, str], dict[int, str]] = {}
        self._lock = threading.Lock()

    def parse(
        self,
        batch: CandidateBatch,
        source: str,
        topic: bytes | str,
        payload: bytes,
        received_at: datetime,
        quarantine_id: int | None = None,
    ) -> None:
        """Append one row per metric of the message (or one reject for a message that cannot be read)."""
        text = topic if isinstance(topic, str) else topic.decode("utf-8", "replace")
        levels = text.split("/")

        def reject(reason: R, message: str, raw: bytes = payload) -> None:
            batch.reject(
                reason, message, source_key=text, raw=raw, entity="telemetry", quarantine_id=quarantine_id
            )

        if len(levels) not in (4, 5) or levels[0] != NAMESPACE or not all(levels):
            return reject(R.BAD_TOPIC, "topic must be spBv1.0/<group>/<type>/<edge node>[/<device>]")
        group, kind, node = levels[1], levels[2], levels[3]
        device = levels[4] if len(levels) == 5 else ""
        if kind not in DATA_TYPES and kind not in DEATH_TYPES:
            return reject(R.UNKNOWN_CONTRACT, f"Sparkplug message type {kind[:20]!r} is not collected")
        path = self.paths.get(device or node)
        if path is None:
            return reject(R.UNKNOWN_EQUIPMENT, f"no equipment {(device or node)[:100]!r} in master data")
        try:
            message = Payload.FromString(payload)
        except DecodeError as exc:
            return reject(R.MALFORMED, f"not a Sparkplug B payload: {exc}"[:300])
        when = message.timestamp if message.HasField("timestamp") else None
        if kind in DEATH_TYPES:
            occurred = _ms(when) if when is not None else received_at
            batch.add(
                event_id=fast_id(source, DEATH_TYPES[kind], group, node, device, occurred),
                entity="event",
                type=DEATH_TYPES[kind],
                occurred_at=occurred,
                recorded_at=received_at,
                payload_json=orjson.dumps({"group": group, "node": node, "device": device or None}).decode(),
                source_key=text,
                raw=payload,
                equipment_path=path,
                subject=device or node,
                quarantine_id=quarantine_id,
            )
            return None
        key = (group, node, device)
        with self._lock:
            aliases = self._aliases.setdefault(key, {})
            if kind.endswith("BIRTH"):
                aliases.clear()
                aliases.update({m.alias: m.name for m in message.metrics if m.name and m.HasField("alias")})
            known = dict(aliases)
        for metric in message.metrics:
            self._metric(batch, source, text, key, path, metric, known, when, received_at, quarantine_id)
        return None

    def _metric(
        self,
        batch: CandidateBatch,
        source: str,
        topic: str,
        key: tuple[str, str, str],
        path: str,
        metric: Any,
        aliases: dict[int, str],
        message_ts: int | None,
        received_at: datetime,
        quarantine_id: int | None,
    ) -> None:
        single = Payload(timestamp=message_ts) if message_ts is not None else Payload()
        single.metrics.append(metric)  # the quarantine keeps this metric alone, replayable on its own
        raw = single.SerializeToString()

        def reject(reason: R, message: str) -> None:
            batch.reject(
                reason, message, source_key=topic, raw=raw, entity="telemetry", quarantine_id=quarantine_id
            )

        name = metric.name or (aliases.get(metric.alias) if metric.HasField("alias") else None)
        if not name:
            alias = metric.alias if metric.HasField("alias") else None
            return reject(R.INVALID_VALUE, f"metric alias {alias} unknown (no BIRTH seen since the start)")
        stamp = metric.timestamp if metric.HasField("timestamp") else message_ts
        if stamp is None:
            return reject(R.MISSING_FIELD, f"metric {name[:60]!r} has no timestamp")
        try:
            occurred = _ms(stamp)
        except (OverflowError, ValueError, OSError):
            return reject(R.BAD_TIMESTAMP, f"metric {name[:60]!r}: timestamp {stamp} out of range")
        field = metric.WhichOneof("value")
        # numbers and booleans are telemetry; text and null are states (the contracts of the UNS)
        entity: str = "telemetry"
        value: Any = None
        if metric.is_null:
            entity, value = "state", "null"
        elif field in ("string_value",):
            entity, value = "state", metric.string_value
        elif field == "boolean_value":
            value = 1.0 if metric.boolean_value else 0.0
        elif field in _VALUES:
            value = getattr(metric, field)
            if field in ("int_value", "long_value"):
                value = _signed(value, metric.datatype)
        else:
            return reject(R.INVALID_VALUE, f"metric {name[:60]!r}: unsupported datatype {metric.datatype}")
        event_type = "TelemetrySampled" if entity == "telemetry" else "StateReported"
        body = {"tag": name, "value": value, "datatype": DATATYPES.get(metric.datatype, str(metric.datatype))}
        batch.add(
            event_id=fast_id(source, event_type, *key, name, occurred),
            entity=entity,
            type=event_type,
            occurred_at=occurred,
            recorded_at=received_at,
            payload_json=orjson.dumps(body).decode(),
            source_key=topic,
            raw=raw,
            equipment_path=path,
            subject=name,
            quarantine_id=quarantine_id,
        )
        return None


def _ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
