"""Our own MES as a source: read its transactional outbox from the last committed ``seq``, exactly once.

The checkpoint (last ``seq`` landed) is committed in the same DuckDB transaction as the rows, so after a
crash the next poll starts exactly after the last landed batch: nothing is skipped, nothing doubled. The
envelopes already carry deterministic ids; dedupe by id is a second line of defence.

Pages are columnar: :class:`SqlOutboxPages` reads the outbox table (SQLite or PostgreSQL, the columns of
:class:`~plantloop.kernel.envelope.EventEnvelope` plus ``seq``) straight into Arrow — no envelope objects,
no per-event Python. Any kernel :class:`~plantloop.kernel.ports.OutboxReader` (e.g. the in-memory MES)
works too, through :class:`EnvelopePages`.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.errors import SourceUnavailable
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.schema import LANDING_SCHEMA, UTC_TS
from plantloop.dataplatform.ingest.store import LandResult
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxReader

PARSER = "mes.outbox"
ENTITY = "events"
#: Columns of a page, in order (the outbox table's columns).
PAGE_COLUMNS = (
    "seq",
    "id",
    "type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "equipment_path",
    "subject",
    "payload",
)


@runtime_checkable
class OutboxPages(Protocol):
    """A columnar outbox: pages of :data:`PAGE_COLUMNS` (payload as JSON text) in ascending ``seq``."""

    def fetch_page(self, after_seq: int, limit: int) -> pa.Table: ...

    def last_seq(self) -> int: ...


def _timestamps(values: list[Any]) -> pa.Array:
    """SQLite hands back naive UTC text, PostgreSQL aware datetimes: both become UTC timestamps."""
    if values and isinstance(values[0], str):
        return pc.cast(pc.cast(pa.array(values, pa.string()), pa.timestamp("us")), UTC_TS)
    return pa.array(values, UTC_TS)


class SqlOutboxPages:
    """The outbox table of an SQL database (the MES's own, SQLite or PostgreSQL), read page by page."""

    def __init__(self, engine: Engine, *, table: str = "outbox") -> None:
        if not table.replace("_", "").isalnum():
            raise ValueError(f"not a table name: {table!r}")
        self.engine = engine
        cols = ", ".join(PAGE_COLUMNS)
        self._page = sa.text(f"SELECT {cols} FROM {table} WHERE seq > :after ORDER BY seq LIMIT :limit")
        self._last = sa.text(f"SELECT coalesce(max(seq), 0) FROM {table}")

    def fetch_page(self, after_seq: int, limit: int) -> pa.Table:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(self._page, {"after": after_seq, "limit": limit}).all()
        except sa.exc.OperationalError as exc:
            raise SourceUnavailable(f"outbox not readable: {exc}"[:300]) from exc
        columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * 9
        seq, eid, typ, version, occurred, recorded, path, subject, payload = columns
        return pa.table(
            {
                "seq": pa.array(seq, pa.int64()),
                "id": pa.array(eid, pa.string()),
                "type": pa.array(typ, pa.string()),
                "schema_version": pa.array(version, pa.int32()),
                "occurred_at": _timestamps(occurred),
                "recorded_at": _timestamps(recorded),
                "equipment_path": pa.array(path, pa.string()),
                "subject": pa.array(subject, pa.string()),
                "payload": pa.array(payload, pa.string()),
            }
        )

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self._last).scalar_one())


class EnvelopePages:
    """Any kernel :class:`OutboxReader` as pages (one envelope at a time: for twins and small outboxes)."""

    def __init__(self, reader: OutboxReader) -> None:
        self.reader = reader

    def fetch_page(self, after_seq: int, limit: int) -> pa.Table:
        records = self.reader.fetch_after(after_seq, limit)
        envs = [r.envelope for r in records]
        return pa.table(
            {
                "seq": pa.array([r.seq for r in records], pa.int64()),
                "id": pa.array([e.id for e in envs], pa.string()),
                "type": pa.array([e.type for e in envs], pa.string()),
                "schema_version": pa.array([e.schema_version for e in envs], pa.int32()),
                "occurred_at": pa.array([e.occurred_at for e in envs], UTC_TS),
                "recorded_at": pa.array([e.recorded_at for e in envs], UTC_TS),
                "equipment_path": pa.array([e.equipment_path for e in envs], pa.string()),
                "subject": pa.array([e.subject for e in envs], pa.string()),
                "payload": pa.array([e.payload_json() for e in envs], pa.string()),
            }
        )

    def last_seq(self) -> int:
        return self.reader.last_seq()


def as_pages(outbox: OutboxReader | OutboxPages) -> OutboxPages:
    if isinstance(outbox, OutboxPages):
        return outbox
    return EnvelopePages(outbox)


def page_to_batch(page: pa.Table) -> pa.Table:
    """An outbox page as a landing batch (:data:`LANDING_SCHEMA`), column by column."""
    n = page.num_rows
    nulls_str, nulls_int = pa.nulls(n, pa.string()), pa.nulls(n, pa.int64())
    columns = {
        "row_no": pa.array(range(n), pa.int64()),
        "event_id": page.column("id"),
        "entity": pa.repeat(pa.scalar(ENTITY, pa.string()), n),
        "type": page.column("type"),
        "schema_version": page.column("schema_version"),
        "occurred_at": page.column("occurred_at"),
        "recorded_at": page.column("recorded_at"),
        "equipment_path": page.column("equipment_path"),
        "subject": page.column("subject"),
        "payload": page.column("payload"),
        "source_key": pc.cast(page.column("seq"), pa.string()),
        "raw": pa.nulls(n, pa.binary()),  # a quarantined row keeps its envelope as JSON instead
        "raw_truncated": pa.repeat(pa.scalar(False), n),
        "reject_reason": nulls_str,
        "reject_message": nulls_str,
        "quarantine_id": nulls_int,
    }
    return pa.table(columns).cast(LANDING_SCHEMA)


def add_envelope(
    batch: CandidateBatch, env: EventEnvelope, source_key: str, quarantine_id: int | None = None
) -> None:
    batch.add(
        event_id=env.id,
        entity=ENTITY,
        type=env.type,
        occurred_at=env.occurred_at,
        recorded_at=env.recorded_at,
        payload_json=env.payload_json(),
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
    """Polls the outbox and lands each page with its checkpoint in one transaction."""

    def __init__(
        self,
        outbox: OutboxReader | OutboxPages,
        landing: Landing,
        *,
        source: str = "mes",
        batch_size: int = 5000,
    ) -> None:
        self.pages = as_pages(outbox)
        self.landing = landing
        self.source = source
        self.batch_size = batch_size

    def position(self) -> int:
        return int(self.landing.store.checkpoint(self.source) or 0)

    def lag(self) -> int:
        """How many outbox records are not landed yet."""
        return max(0, self.pages.last_seq() - self.position())

    def poll_once(self) -> LandResult | None:
        page = self.pages.fetch_page(self.position(), self.batch_size)
        if page.num_rows == 0:
            return None
        last = page.column("seq")[-1].as_py()
        return self.landing.land_arrow(
            page_to_batch(page), source=self.source, kind=SourceKind.MES, parser=PARSER, checkpoint=str(last)
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
