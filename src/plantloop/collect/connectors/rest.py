"""REST push: a client posts a batch of events as JSON; a retried batch (same idempotency key) is not doubled.

Body ``{"events": [{"type", "occurred_at", "key", "payload", "equipment_id"?, "subject"?}, …]}``. The event
id is derived from the source, the type and the client's own ``key`` (a string or a list of scalars), so
even a retry without an idempotency key lands nothing twice. The whole request is refused (4xx, with the
reason) when it is too large, not UTF-8, not JSON, or not shaped as above; single bad events are
quarantined and listed in the response with their index and reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from plantloop.collect import strict_json
from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind, contract_for
from plantloop.collect.errors import IdempotencyKeyReused, InvalidSourceInput, PayloadTooLarge
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.collect.timestamps import BadTimestamp, parse_timestamp
from plantloop.kernel.ids import deterministic_id

PARSER = "rest.event"
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 10_000
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]{0,99}$")


def parse_rest_event(
    batch: CandidateBatch,
    source: str,
    source_key: str | None,
    raw: bytes,
    quarantine_id: int | None = None,
    *,
    entity: str = "events",
    equipment_paths: dict[str, str] | None = None,
    received_at: datetime | None = None,
) -> None:
    """Append one pushed event (``raw`` is its JSON) to the batch, or a reject with the reason."""

    def reject(reason: R, message: str) -> None:
        batch.reject(
            reason, message, source_key=source_key, raw=raw, entity=entity, quarantine_id=quarantine_id
        )

    try:
        item = strict_json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return reject(R.MALFORMED, f"invalid JSON: {exc}"[:300])
    if not isinstance(item, dict):
        return reject(R.WRONG_TYPE, "an event must be a JSON object")
    for name in ("type", "occurred_at", "key"):
        if item.get(name) in (None, "", []):
            return reject(R.MISSING_FIELD, f"event field {name!r} missing")
    event_type, key, payload = item["type"], item["key"], item.get("payload", {})
    if not isinstance(event_type, str) or not _TYPE.match(event_type):
        return reject(R.INVALID_VALUE, "'type' must be a PascalCase name (past tense), e.g. LotReceived")
    if isinstance(key, str | int):
        key = [key]
    if not isinstance(key, list) or not all(
        isinstance(k, str | int | float) and not isinstance(k, bool) for k in key
    ):
        return reject(R.WRONG_TYPE, "'key' must be a string or a list of strings / numbers")
    if not isinstance(payload, dict):
        return reject(R.WRONG_TYPE, "'payload' must be a JSON object")
    try:
        occurred_at = parse_timestamp(item["occurred_at"])
    except BadTimestamp as exc:
        return reject(R.BAD_TIMESTAMP, str(exc))
    equipment_path = item.get("equipment_path")
    equipment_id = item.get("equipment_id")
    if equipment_id is not None:
        equipment_path = (equipment_paths or {}).get(str(equipment_id))
        if equipment_path is None:
            return reject(R.UNKNOWN_EQUIPMENT, f"unknown equipment {str(equipment_id)[:100]!r}")
    if equipment_path is not None and not isinstance(equipment_path, str):
        return reject(R.WRONG_TYPE, "'equipment_path' must be a string")
    subject = item.get("subject")
    batch.add(
        event_id=deterministic_id(source, event_type, *key),
        entity=entity,
        type=event_type,
        occurred_at=occurred_at,
        recorded_at=received_at or occurred_at,
        payload_json=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        source_key=source_key,
        raw=raw,
        equipment_path=equipment_path,
        subject=None if subject is None else str(subject),
        quarantine_id=quarantine_id,
    )
    return None


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
        self.equipment_paths = equipment_paths or {}
        self.max_body_bytes = max_body_bytes
        self.max_events = max_events

    def replay_parser(
        self, batch: CandidateBatch, source: str, key: str | None, raw: bytes, qid: int
    ) -> None:
        entity = (key or "events#").split("#", 1)[0] or "events"
        parse_rest_event(batch, source, key, raw, qid, entity=entity, equipment_paths=self.equipment_paths)

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
            doc = strict_json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidSourceInput("body is not UTF-8", reason=R.BAD_ENCODING.value) from None
        except (ValueError, RecursionError) as exc:
            raise InvalidSourceInput(f"body is not JSON: {exc}"[:300], reason=R.MALFORMED.value) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
            raise InvalidSourceInput('body must be {"events": [...]}', reason=R.WRONG_TYPE.value)
        events = doc["events"]
        if len(events) > self.max_events:
            raise PayloadTooLarge(
                f"{len(events)} events exceed {self.max_events} per request", reason="oversized"
            )
        batch = CandidateBatch(parser=PARSER)
        now = self.landing.store.clock.now()
        tag = idempotency_key or digest[:16]
        for index, item in enumerate(events):
            raw = json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()
            parse_rest_event(
                batch,
                source,
                f"{entity}#{tag}#{index}",
                raw,
                entity=entity,
                equipment_paths=self.equipment_paths,
                received_at=now,
            )
        result = self.landing.land(batch, source=source, kind=SourceKind.REST, want_rows=True)
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
