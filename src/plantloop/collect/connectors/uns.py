"""Unified Namespace messages → candidate rows.

Topic: ``<enterprise>/<site>/<area>/<line>/<cell>/<data-contract>/<name>``, where ``cell`` is an equipment
(or work-center) id of the master data and the first four levels must match its ISA-95 path. Payload:
JSON object with ``ts`` (ISO-8601 or epoch ms, the source timestamp) and optionally ``seq``:

* ``telemetry/<tag>``: ``{"ts": …, "value": 211.3, "seq": 17, "unit": "C"}`` → ``TelemetrySampled``
* ``state/<tag>``:     ``{"ts": …, "value": "RUNNING"}`` → ``StateReported``
* ``event/<Name>``:    ``{"ts": …, "seq": 3, …fields}`` → event type ``<Name>`` (PascalCase)

The event id is derived from source, equipment, contract, name, source timestamp and sequence, so a
redelivered message gets the same id and is dropped as a duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.event_ids import id_from_key, key_part
from plantloop.collect.timestamps import BadTimestamp, parse_timestamp
from plantloop.mes.masterdata.schema import PlantDefinition

PARSER = "mqtt.uns"
TYPES = {"telemetry": "TelemetrySampled", "state": "StateReported"}
_CONTRACTS = ("telemetry", "state", "event")
_ROUTE_CACHE = 100_000
_EVENT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,99}$")
_TAG = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


@dataclass(frozen=True)
class Route:
    """What a topic means (cached per topic): where it lands, or why it cannot."""

    entity: str | None = None
    equipment_id: str = ""
    equipment_path: str = ""
    contract: str = ""
    name: str = ""
    event_type: str = ""
    topic: str = ""
    reject: tuple[R, str] | None = None
    #: Escaped id-key prefix (source, type, equipment, contract, name) for the source last seen.
    key_prefix: dict[str, str] = field(default_factory=dict, compare=False)

    def prefix(self, source: str) -> str:
        prefix = self.key_prefix.get(source)
        if prefix is None:
            parts = (source, self.event_type, self.equipment_id, self.contract, self.name)
            prefix = self.key_prefix[source] = "\x1f".join(key_part(p) for p in parts)
        return prefix


class UnsResolver:
    """Maps a topic's hierarchy levels to an equipment path, checked against the master data."""

    def __init__(self, plant: PlantDefinition | None = None, paths: dict[str, str] | None = None) -> None:
        self.paths = dict(paths if paths is not None else (plant.equipment_paths if plant else {}))
        self._routes: dict[bytes | str, Route] = {}

    def topic_for(self, equipment_id: str, contract: str, name: str) -> str:
        path = self.paths[equipment_id].split("/")
        return "/".join([*path[:4], equipment_id, contract, name])

    def equipment_path(self, levels: list[str]) -> str | None:
        path = self.paths.get(levels[4])
        if path is None or path.split("/")[:4] != levels[:4]:
            return None
        return path

    def route(self, topic: bytes | str) -> Route:
        route = self._routes.get(topic)
        if route is None:
            route = self._route(topic)
            if len(self._routes) >= _ROUTE_CACHE:
                self._routes.clear()
            self._routes[topic] = route
        return route

    def _route(self, topic: bytes | str) -> Route:
        try:
            text = topic if isinstance(topic, str) else topic.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Route(reject=(R.BAD_ENCODING, f"topic is not UTF-8: {exc}"))
        levels = text.split("/")
        if len(levels) != 7 or not all(levels):
            return Route(topic=text, reject=(R.BAD_TOPIC, "topic must have 7 non-empty levels"))
        contract, name = levels[5], levels[6]
        if contract not in _CONTRACTS:
            return Route(topic=text, reject=(R.UNKNOWN_CONTRACT, f"unknown data contract {contract[:50]!r}"))
        path = self.equipment_path(levels)
        if path is None:
            reason = f"no equipment {'/'.join(levels[:5])[:200]!r} in master data"
            return Route(entity=contract, topic=text, reject=(R.UNKNOWN_EQUIPMENT, reason))
        if contract == "event":
            if not _EVENT_NAME.match(name):
                reason = f"event name {name[:60]!r} must be PascalCase"
                return Route(entity=contract, topic=text, reject=(R.INVALID_VALUE, reason))
        elif not _TAG.match(name):
            return Route(
                entity=contract, topic=text, reject=(R.INVALID_VALUE, f"tag name {name[:60]!r} is not valid")
            )
        event_type = name if contract == "event" else TYPES[contract]
        return Route(contract, levels[4], path, contract, name, event_type, text)


def parse_uns(
    batch: CandidateBatch,
    resolver: UnsResolver,
    source: str,
    topic: bytes | str,
    payload: bytes,
    received_at: datetime,
    quarantine_id: int | None = None,
) -> None:
    """Append one row for one MQTT message (or one reject with its reason).

    This runs once per message beside paho's own per-message work, so it stays lean: one strict C parse
    (orjson: no NaN / Infinity, no trailing commas, UTF-8 checked), one timestamp parse, one SHA-1.
    """
    route = resolver.route(topic)
    key = route.topic or None
    if route.reject is not None:
        reason, message = route.reject
        batch.reject(
            reason, message, source_key=key, raw=payload, entity=route.entity, quarantine_id=quarantine_id
        )
        return
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        bad_text = "UTF-8" in str(exc)
        batch.reject(
            R.BAD_ENCODING if bad_text else R.MALFORMED,
            (f"payload is not UTF-8: {exc}" if bad_text else f"invalid JSON: {exc}")[:300],
            source_key=key,
            raw=payload,
            entity=route.entity,
            quarantine_id=quarantine_id,
        )
        return
    problem = _check_body(body)
    if problem is None:
        try:
            occurred_at = parse_timestamp(body.pop("ts"))
        except BadTimestamp as exc:
            problem = (R.BAD_TIMESTAMP, str(exc))
    if problem is not None:
        batch.reject(
            problem[0],
            problem[1],
            source_key=key,
            raw=payload,
            entity=route.entity,
            quarantine_id=quarantine_id,
        )
        return
    seq = body.pop("seq", None)
    if route.contract != "event":
        body["tag"] = route.name
    if seq is not None:
        body["seq"] = seq
    batch.add(
        event_id=id_from_key(f"{route.prefix(source)}\x1f{occurred_at.isoformat()}\x1f{seq}"),
        entity=route.contract,
        type=route.event_type,
        occurred_at=occurred_at,
        recorded_at=received_at,
        payload_json=orjson.dumps(body).decode(),
        source_key=key,
        raw=payload,
        equipment_path=route.equipment_path,
        subject=route.name,
        quarantine_id=quarantine_id,
    )


def _check_body(body: object) -> tuple[R, str] | None:
    if type(body) is not dict:
        return R.WRONG_TYPE, f"payload must be a JSON object, got {type(body).__name__}"
    if "ts" not in body:
        return R.MISSING_FIELD, "payload has no 'ts' (source timestamp)"
    seq = body.get("seq")
    if seq is not None and type(seq) is not int:
        return R.WRONG_TYPE, "'seq' must be an integer"
    return None
