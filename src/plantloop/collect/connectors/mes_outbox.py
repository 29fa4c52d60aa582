"""Our own MES as a source: read its transactional outbox from the last committed ``seq``, exactly once.

The checkpoint (last ``seq`` landed) is committed in the same DuckDB transaction as the rows, so after a
crash the next poll starts exactly after the last landed batch: nothing is skipped, nothing doubled. The
envelopes already carry deterministic ids; dedupe by id is a second line of defence.
"""

from __future__ import annotations

import json
import threading

from pydantic import ValidationError

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import LandResult
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxReader, OutboxRecord

PARSER = "mes.outbox"
ENTITY = "events"


def add_envelope(
    batch: CandidateBatch, env: EventEnvelope, source_key: str, quarantine_id: int | None = None
) -> None:
    batch.add(
        event_id=env.id,
        entity=ENTITY,
        type=env.type,
        occurred_at=env.occurred_at,
        recorded_at=env.recorded_at,
        payload_json=json.dumps(env.payload, separators=(",", ":"), default=str),
        source_key=source_key,
        equipment_path=env.equipment_path,
        subject=env.subject,
        schema_version=env.schema_version,
        quarantine_id=quarantine_id,
    )


def replay_parser(
    batch: CandidateBatch, source: str, source_key: str | None, raw: bytes, quarantine_id: int
) -> None:
    """Re-read a quarantined outbox envelope (stored as the envelope's JSON)."""
    try:
        data = json.loads(raw)
        data.setdefault("source", source)
        env = EventEnvelope.model_validate(data)
    except (ValueError, ValidationError) as exc:
        batch.reject(
            R.MALFORMED,
            str(exc)[:300],
            source_key=source_key,
            raw=raw,
            entity=ENTITY,
            quarantine_id=quarantine_id,
        )
        return
    add_envelope(batch, env, source_key or "", quarantine_id)


class OutboxCollector:
    """Polls an :class:`OutboxReader` and lands each page with its checkpoint in one transaction."""

    def __init__(
        self, reader: OutboxReader, landing: Landing, *, source: str = "mes", batch_size: int = 5000
    ) -> None:
        self.reader = reader
        self.landing = landing
        self.source = source
        self.batch_size = batch_size

    def position(self) -> int:
        return int(self.landing.store.checkpoint(self.source) or 0)

    def lag(self) -> int:
        """How many outbox records are not landed yet."""
        return max(0, self.reader.last_seq() - self.position())

    def poll_once(self) -> LandResult | None:
        records: list[OutboxRecord] = self.reader.fetch_after(self.position(), self.batch_size)
        if not records:
            return None
        batch = CandidateBatch(parser=PARSER)
        for rec in records:
            add_envelope(batch, rec.envelope, str(rec.seq))
        return self.landing.land(
            batch, source=self.source, kind=SourceKind.MES, checkpoint=str(records[-1].seq)
        )

    def drain(self) -> int:
        """Poll until the outbox is empty; returns the number of records offered."""
        offered = 0
        while (result := self.poll_once()) is not None:
            offered += result.offered
        return offered

    def run(self, stop: threading.Event, *, idle_sleep_s: float = 0.2) -> None:
        while not stop.is_set():
            if self.poll_once() is None:
                stop.wait(idle_sleep_s)
