"""The transactional outbox, read side: an :class:`~plantloop.kernel.ports.OutboxReader` over the outbox
table, and the relay that delivers it to subscribers.

Delivery is at least once and in ``seq`` order: the relay hands a batch to a subscriber and only then
commits that subscriber's checkpoint. A crash between the two redelivers the batch on restart — never
loses it — and subscribers deduplicate by envelope id (:class:`RecordingSubscriber` shows how).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import EventSubscriber, OutboxReader, OutboxRecord
from plantloop.mes import orm
from plantloop.mes.repository import InMemoryStore

log = logging.getLogger(__name__)


def envelope_from_row(row: Any) -> EventEnvelope:
    return EventEnvelope(
        id=row["id"],
        type=row["type"],
        schema_version=row["schema_version"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        source=row["source"],
        equipment_path=row["equipment_path"],
        subject=row["subject"],
        payload=json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
    )


class SqlOutboxReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        t = orm.outbox
        stmt = sa.select(t).where(t.c.seq > after_seq).order_by(t.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [OutboxRecord(int(r.seq), envelope_from_row(r._mapping)) for r in conn.execute(stmt)]

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(orm.outbox.c.seq), 0))).scalar_one()
            )


class InMemoryOutboxReader:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        with self.store.lock:
            rows = [r for r in self.store.outbox if r["seq"] > after_seq][:limit]
        return [OutboxRecord(r["seq"], envelope_from_row(r)) for r in rows]

    def last_seq(self) -> int:
        with self.store.lock:
            return int(self.store.outbox[-1]["seq"]) if self.store.outbox else 0


# ---- checkpoints -----------------------------------------------------------------------------------
class CheckpointStore(Protocol):
    def get(self, subscriber: str) -> int: ...

    def save(self, subscriber: str, seq: int) -> None: ...


class SqlCheckpointStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, subscriber: str) -> int:
        t = orm.outbox_checkpoints
        with self.engine.connect() as conn:
            seq = conn.execute(sa.select(t.c.seq).where(t.c.subscriber == subscriber)).scalar_one_or_none()
        return int(seq or 0)

    def save(self, subscriber: str, seq: int) -> None:
        t = orm.outbox_checkpoints
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            done = conn.execute(
                t.update().where(t.c.subscriber == subscriber).values(seq=seq, updated_at=now)
            )
            if done.rowcount == 0:
                conn.execute(t.insert().values(subscriber=subscriber, seq=seq, updated_at=now))


class InMemoryCheckpointStore:
    def __init__(self) -> None:
        self.seqs: dict[str, int] = {}

    def get(self, subscriber: str) -> int:
        return self.seqs.get(subscriber, 0)

    def save(self, subscriber: str, seq: int) -> None:
        self.seqs[subscriber] = seq


# ---- the relay -------------------------------------------------------------------------------------
class OutboxRelay:
    """Delivers outbox records to subscribers in ``seq`` order; checkpoint after delivery."""

    def __init__(
        self,
        reader: OutboxReader,
        checkpoints: CheckpointStore,
        subscribers: list[EventSubscriber] | None = None,
        *,
        batch_size: int = 500,
    ) -> None:
        self.reader = reader
        self.checkpoints = checkpoints
        self.subscribers: list[EventSubscriber] = list(subscribers or [])
        self.batch_size = batch_size
        #: deliveries that raised, per subscriber (its batch is retried; the others go on)
        self.failures: dict[str, int] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, subscriber: EventSubscriber) -> None:
        self.subscribers.append(subscriber)

    def deliver_once(self) -> int:
        """One batch to each subscriber. Returns how many records were delivered in total; a subscriber
        that fails holds back only itself (see :meth:`drain`)."""
        delivered, errors = self._round()
        if errors:
            raise errors[0]
        return delivered

    def drain(self) -> int:
        """Deliver until every subscriber is caught up. A subscriber that raises keeps its checkpoint (its
        batch comes again next time) while the others are drained; then the first error is raised."""
        total, errors = 0, list[Exception]()
        while True:
            n, errors = self._round()
            if n == 0:
                break
            total += n
        if errors:
            raise errors[0]
        return total

    def _round(self) -> tuple[int, list[Exception]]:
        delivered, errors = 0, list[Exception]()
        for sub in list(self.subscribers):
            after = self.checkpoints.get(sub.name)
            records = self.reader.fetch_after(after, self.batch_size)
            if not records:
                continue
            try:
                sub.handle(records)
            except Exception as exc:  # not BaseException: a crash stops the relay, as it should
                self.failures[sub.name] = self.failures.get(sub.name, 0) + 1
                errors.append(exc)
                continue
            self.checkpoints.save(sub.name, records[-1].seq)
            delivered += len(records)
        return delivered, errors

    # ---- background thread ---------------------------------------------------------------------
    def wake(self, _written: int = 0) -> None:
        self._wake.set()

    def start(self, interval_s: float = 1.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.drain()
                except Exception:  # a failing subscriber must not stop the relay; it is retried
                    log.exception("outbox relay: delivery failed, will retry")
                self._wake.wait(interval_s)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class RecordingSubscriber:
    """A subscriber twin that keeps what it received, deduplicating by envelope id."""

    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.received: list[EventEnvelope] = []
        self.seqs: list[int] = []
        self.duplicates = 0
        self._seen: set[str] = set()

    def handle(self, records: list[OutboxRecord]) -> None:
        for rec in records:
            if rec.envelope.id in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(rec.envelope.id)
            self.received.append(rec.envelope)
            self.seqs.append(rec.seq)

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.received]
