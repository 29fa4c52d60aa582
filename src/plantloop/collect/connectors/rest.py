"""REST push: a client posts a batch of events as JSON; a retried batch (same idempotency key) is not doubled.

Body ``{"events": [{"type", "occurred_at", "key", "payload", "equipment_id"?, "subject"?}, …]}``. The event
id is derived from the source, the type, the client's own ``key`` (a string, an integer or a list of
them) and ``occurred_at``, so even a retry without an idempotency key lands nothing twice (the same key at
another time is another event). The whole request is refused (4xx,
with the reason) when it is too large, not UTF-8, not strict JSON, or not shaped as above; single bad
events are quarantined and listed in the response with their index and reason.

The events of a body are parsed together by one SQL statement (:data:`PARSE_SQL`), not one by one in
Python; a replay of quarantined events runs the same statement.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from plantloop.collect.contracts import SourceKind, contract_for
from plantloop.collect.errors import IdempotencyKeyReused, InvalidSourceInput, PayloadTooLarge
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.collect.sql import lit, run_table_parser, source_table
from plantloop.dataplatform.ingest.store import OdsStore

PARSER = "rest.event"
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 10_000
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

_M_OBJECT = lit("an event must be a JSON object")
_M_KEY = lit("'key' must be a string, an integer or a list of them")
_M_PAYLOAD = lit("'payload' must be a JSON object")
_M_SUBJECT = lit("'subject' must be a string")
_M_PATH = lit("'equipment_path' must be a string")
_M_TYPE = lit("'type' must be a PascalCase name (past tense), e.g. LotReceived")
_SCALAR_KEY = "('VARCHAR', 'BIGINT', 'UBIGINT')"
#: One parse of each event into its known fields (each still JSON, typed below).
_FIELDS = (
    '{"type": "JSON", "occurred_at": "JSON", "key": "JSON", "payload": "JSON", "subject": "JSON", '
    '"equipment_id": "JSON", "equipment_path": "JSON"}'
)

#: The parse of a whole batch of events, in SQL over ``_src`` (see :mod:`plantloop.collect.sql`).
#: Parameters: $1 source, $2 entity, $3 received_at. The first failing rule names the reason.
PARSE_SQL = f"""
WITH s AS (
    SELECT *, TRY(decode(raw)) AS txt FROM _src
), j AS (
    -- one parse per event: straight into its known fields (each still JSON, typed below)
    SELECT *, coalesce(starts_with(ltrim(txt), '{{'), false) AS is_object,
        CASE WHEN starts_with(ltrim(txt), '{{') THEN TRY(json_transform(txt, {lit(_FIELDS)})) END AS o
    FROM s
), o AS (
    SELECT *, CASE WHEN is_object THEN o IS NOT NULL ELSE coalesce(json_valid(txt), false) END AS e,
        CASE WHEN is_object THEN 'OBJECT' ELSE 'OTHER' END AS t_e
    FROM j
), f AS (
    SELECT *,
        json_type(o.type) AS t_type, json_extract_string(o.type, '$') AS typ,
        json_type(o.occurred_at) AS t_at, json_extract_string(o.occurred_at, '$') AS at_text,
        json_type(o.key) AS t_key,
        CASE WHEN json_type(o.key) = 'ARRAY' THEN json_extract(o.key, '$[*]')
            WHEN json_type(o.key) IN {_SCALAR_KEY} THEN [o.key] END AS key_items,
        json_type(o.payload) AS t_payload,
        json_type(o.subject) AS t_subject, json_extract_string(o.subject, '$') AS subject_text,
        json_extract_string(o.equipment_id, '$') AS equipment_id,
        json_type(o.equipment_path) AS t_path, json_extract_string(o.equipment_path, '$') AS path_text
    FROM o
), g AS (
    SELECT f.*,
        CASE WHEN len(key_items) > 0
            AND list_bool_and(list_transform(key_items, x -> json_type(x) IN {_SCALAR_KEY}))
            THEN list_transform(key_items, x -> CASE json_type(x)
                WHEN 'VARCHAR' THEN json_extract_string(x, '$') ELSE CAST(x AS VARCHAR) END)
        END AS key_parts,
        pl_ts(t_at, at_text) AS occurred,  -- NULL when unreadable
        k.equipment_path AS known_path
    FROM f LEFT JOIN (
        SELECT split_part(equipment_path, '/', -1) AS equipment_id, min(equipment_path) AS equipment_path
        FROM ingest_known_equipment GROUP BY 1
    ) AS k ON k.equipment_id = f.equipment_id
), r AS (
    SELECT *, CASE
        WHEN pre_reason IS NOT NULL THEN pre_reason
        WHEN txt IS NULL THEN '{R.BAD_ENCODING}'
        WHEN NOT e THEN '{R.MALFORMED}'
        WHEN t_e <> 'OBJECT' THEN '{R.WRONG_TYPE}'
        WHEN coalesce(typ, '') = '' OR coalesce(at_text, '') = '' OR coalesce(t_key, 'NULL') = 'NULL'
            OR (t_key = 'VARCHAR' AND json_extract_string(o.key, '$') = '')
            OR (t_key = 'ARRAY' AND len(key_items) = 0)
            THEN '{R.MISSING_FIELD}'
        WHEN t_type <> 'VARCHAR' OR NOT regexp_full_match(typ, '[A-Z][A-Za-z0-9]{{0,99}}')
            THEN '{R.INVALID_VALUE}'
        WHEN key_parts IS NULL THEN '{R.WRONG_TYPE}'
        WHEN coalesce(t_payload, 'NULL') NOT IN ('OBJECT', 'NULL') THEN '{R.WRONG_TYPE}'
        WHEN coalesce(t_subject, 'NULL') NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'NULL') THEN '{R.WRONG_TYPE}'
        WHEN occurred IS NULL THEN '{R.BAD_TIMESTAMP}'
        WHEN equipment_id IS NOT NULL AND known_path IS NULL THEN '{R.UNKNOWN_EQUIPMENT}'
        WHEN coalesce(t_path, 'NULL') NOT IN ('VARCHAR', 'NULL') THEN '{R.WRONG_TYPE}'
    END AS reason FROM g
), m AS (
    SELECT *, CASE reason
        WHEN '{R.BAD_ENCODING}' THEN coalesce(pre_message, 'event is not UTF-8 text')
        WHEN '{R.MALFORMED}' THEN coalesce(pre_message, 'invalid JSON')
        WHEN '{R.WRONG_TYPE}' THEN CASE
            WHEN t_e <> 'OBJECT' THEN {_M_OBJECT}
            WHEN key_parts IS NULL THEN {_M_KEY}
            WHEN coalesce(t_payload, 'NULL') NOT IN ('OBJECT', 'NULL') THEN {_M_PAYLOAD}
            WHEN coalesce(t_subject, 'NULL') NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'NULL') THEN {_M_SUBJECT}
            ELSE {_M_PATH} END
        WHEN '{R.MISSING_FIELD}' THEN 'event field ' || CASE
            WHEN coalesce(typ, '') = '' THEN {lit("'type'")}
            WHEN coalesce(at_text, '') = '' THEN {lit("'occurred_at'")}
            ELSE {lit("'key'")} END || ' missing'
        WHEN '{R.INVALID_VALUE}' THEN {_M_TYPE}
        WHEN '{R.BAD_TIMESTAMP}' THEN 'not a timestamp: ' || left(at_text, 60)
        WHEN '{R.UNKNOWN_EQUIPMENT}' THEN 'unknown equipment ' || left(equipment_id, 100)
        ELSE pre_message END AS message
    FROM r
), h AS (
    SELECT *, CASE WHEN reason IS NULL THEN pl_sha1(array_to_string(list_transform(
        list_concat([$1, typ], key_parts, [pl_iso(occurred)]), x -> pl_key_part(x)), chr(31))) END AS digest
    FROM m
)
SELECT row_no,
    pl_uuid_fmt(digest) AS event_id,
    $2 AS entity,
    CASE WHEN reason IS NULL THEN typ END AS type,
    1 AS schema_version,
    CASE WHEN reason IS NULL THEN occurred END AS occurred_at,
    $3::TIMESTAMPTZ AS recorded_at,
    CASE WHEN reason IS NULL THEN coalesce(known_path, path_text) END AS equipment_path,
    CASE WHEN reason IS NULL THEN subject_text END AS subject,
    CASE WHEN reason IS NULL THEN coalesce(CAST(o.payload AS VARCHAR), '{{}}') END
        AS payload,
    source_key, raw, false AS raw_truncated, reason AS reject_reason, left(message, 1000) AS reject_message,
    quarantine_id
FROM h
"""


def parse_events(
    store: OdsStore, source: str, records: pa.Table, *, received_at: datetime | None = None
) -> pa.Table:
    """The landing batch of ``records`` (raw = one event's JSON each; source_key = ``<entity>#…``)."""
    keys = records.column("source_key").slice(0, 1).to_pylist()
    entity = (keys[0] or "events").split("#", 1)[0] if keys else "events"
    entity = contract_for(SourceKind.REST, entity or "events").entity
    return run_table_parser(store, PARSE_SQL, records, [source, entity, received_at or store.clock.now()])


class RestIngest:
    """Takes a pushed body, refuses it as a whole or lands its events; remembers idempotency keys."""

    def __init__(
        self,
        landing: Landing,
        *,
        equipment_paths: dict[str, str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_events: int = MAX_EVENTS,
    ) -> None:
        self.landing = landing
        self.equipment_paths = equipment_paths or {}  # kept for callers; equipment is checked in SQL
        self.max_body_bytes = max_body_bytes
        self.max_events = max_events

    def push(
        self, source_name: str, entity: str, body: bytes, idempotency_key: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Land a pushed body; returns (response, replayed) — replayed when the key was seen before."""
        if not _SOURCE_NAME.match(source_name):
            raise InvalidSourceInput(
                f"invalid source name {source_name[:64]!r}", reason=R.INVALID_VALUE.value
            )
        contract_for(SourceKind.REST, entity)
        if len(body) > self.max_body_bytes:
            raise PayloadTooLarge(
                f"body of {len(body)} bytes exceeds {self.max_body_bytes}", reason="oversized"
            )
        source = f"rest:{source_name}"
        digest = hashlib.sha256(body).hexdigest()
        if idempotency_key is not None:
            if not 1 <= len(idempotency_key) <= 200:
                raise InvalidSourceInput("Idempotency-Key must be 1..200 characters", reason="invalid_value")
            seen = self.landing.store.query(
                "SELECT body_sha256, response FROM ingest_idempotency WHERE key = ?",
                [f"{source}|{idempotency_key}"],
            )
            if seen:
                if seen[0][0] != digest:
                    raise IdempotencyKeyReused(idempotency_key)
                return json.loads(seen[0][1]), True
        try:
            doc = orjson.loads(body)  # strict: no NaN / Infinity, no trailing commas, UTF-8 checked
        except orjson.JSONDecodeError as exc:
            if "UTF-8" in str(exc):
                raise InvalidSourceInput("body is not UTF-8", reason=R.BAD_ENCODING.value) from None
            raise InvalidSourceInput(f"body is not JSON: {exc}"[:300], reason=R.MALFORMED.value) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
            raise InvalidSourceInput('body must be {"events": [...]}', reason=R.WRONG_TYPE.value)
        events = doc["events"]
        if len(events) > self.max_events:
            raise PayloadTooLarge(
                f"{len(events)} events exceed {self.max_events} per request", reason="oversized"
            )
        prefix = f"{entity}#{idempotency_key or digest[:16]}#"
        dumps = orjson.dumps
        records = source_table([dumps(e) for e in events], [f"{prefix}{i}" for i in range(len(events))])
        batch = parse_events(self.landing.store, source, records)
        result = self.landing.land_arrow(
            batch, source=source, kind=SourceKind.REST, parser=PARSER, want_rows="rejected"
        )
        response = {
            "batch_id": result.batch_id,
            "offered": result.offered,
            "landed": result.landed,
            "duplicates": result.duplicates,
            "quarantined": result.quarantined,
            "rejected": [
                {"index": r.row_no, "reason": r.reason, "message": r.message}
                for r in result.rows
                if r.outcome == "quarantined"
            ],
        }
        if idempotency_key is not None:
            self.landing.store.put_idempotent_response(
                f"{source}|{idempotency_key}", source, digest, json.dumps(response)
            )
        return response, False
