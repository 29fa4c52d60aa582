"""NATS JetStream, the scale-out transport: the MES outbox relay publishes envelopes to a stream, and a
collector in another process lands them from a durable pull consumer — exactly once.

Publishing (:class:`JetStreamPublisher`, an outbox-relay subscriber): each envelope goes to subject
``<prefix>.<EventType>`` with header ``Nats-Msg-Id: <event id>``; the relay commits its own checkpoint only
after every publish is acknowledged, so a crash republishes, and JetStream's duplicate window drops the
republished copies (the stream is created with a window of ``duplicate_window_s``).

Collecting (:class:`JetStreamCollector`): a batch is fetched, landed with checkpoint = the last stream
sequence **in the same DuckDB transaction** as its rows, then acknowledged. On start the durable consumer
is realigned to that checkpoint when it disagrees with it (a crash between commit and ack, or unacked
messages): it is recreated to deliver from ``checkpoint + 1``, so nothing is skipped and nothing landed is
offered again. A failed landing realigns the same way before the next fetch (a pull consumer would
otherwise deliver newer messages before the unacknowledged ones come back). Envelope ids dedupe whatever
the stream holds twice (a republish outside the duplicate window).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import nats
import orjson
from nats.js import api
from nats.js.errors import NotFoundError

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import LandResult
from plantloop.kernel.ports import OutboxRecord

log = logging.getLogger(__name__)
PARSER = "nats.envelope"
ENTITY = "events"
T = TypeVar("T")


@dataclass(frozen=True)
class JetStreamSourceConfig:
    url: str = "nats://127.0.0.1:4222"
    stream: str = "PLANTLOOP_EVENTS"
    subject_prefix: str = "plantloop.events"
    durable: str = "plantloop-collect"
    source: str = "nats:events"
    batch_size: int = 1000
    fetch_timeout_s: float = 1.0
    ack_wait_s: float = 120.0
    duplicate_window_s: float = 600.0

    @property
    def subjects(self) -> str:
        return f"{self.subject_prefix}.>"


class _Loop:
    """An asyncio loop on its own thread, for calling nats-py from synchronous code."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def ensure_stream(js: Any, config: JetStreamSourceConfig) -> None:
    """Create the stream (file storage, the configured duplicate window) unless it exists."""
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(
            api.StreamConfig(
                name=config.stream,
                subjects=[config.subjects],
                storage=api.StorageType.FILE,
                duplicate_window=config.duplicate_window_s,
            )
        )


class JetStreamPublisher:
    """An outbox-relay subscriber that publishes each envelope to the stream and waits for every ack."""

    def __init__(self, config: JetStreamSourceConfig, *, name: str = "jetstream", timeout_s: float = 30.0):
        self.config = config
        self.name = name
        self.timeout_s = timeout_s
        self.published = 0
        self.duplicates = 0  # republished envelopes the stream recognised and dropped
        self._loop = _Loop("jetstream-publisher")
        self._nc: Any = None
        self._js: Any = None

    def _connect(self) -> None:
        if self._nc is not None and self._nc.is_connected:
            return

        async def connect() -> None:
            self._nc = await nats.connect(self.config.url, max_reconnect_attempts=-1, connect_timeout=5)
            self._js = self._nc.jetstream()
            await ensure_stream(self._js, self.config)

        self._loop.run(connect(), self.timeout_s)

    def handle(self, records: list[OutboxRecord]) -> None:
        """Publish ``records`` in order; returns only when every one is acknowledged (else raises)."""
        self._connect()

        async def publish() -> list[api.PubAck]:
            futures = []
            for rec in records:
                env = rec.envelope
                futures.append(
                    await self._js.publish_async(
                        f"{self.config.subject_prefix}.{env.type}",
                        env.model_dump_json().encode(),
                        headers={"Nats-Msg-Id": env.id},
                    )
                )
            return list(await asyncio.wait_for(asyncio.gather(*futures), self.timeout_s))

        acks = self._loop.run(publish(), self.timeout_s * 2)
        self.published += len(acks)
        self.duplicates += sum(1 for a in acks if a.duplicate)

    def close(self) -> None:
        if self._nc is not None:
            try:
                self._loop.run(self._nc.drain(), 10)
            except Exception:  # reconnecting or gone: nothing is pending (handle waited for every ack)
                self._loop.run(self._nc.close(), 10)
        self._loop.close()


def parse_envelope(
    batch: CandidateBatch,
    source: str,
    source_key: str | None,
    raw: bytes,
    quarantine_id: int | None = None,
) -> None:
    """One envelope as published by :class:`JetStreamPublisher` (its JSON), or a reject with the reason."""
    try:
        doc = orjson.loads(raw)
        occurred_at = datetime.fromisoformat(doc["occurred_at"])
        recorded_at = datetime.fromisoformat(doc.get("recorded_at") or doc["occurred_at"])
        event_id, event_type, payload = doc["id"], doc["type"], doc.get("payload") or {}
        if type(event_id) is not str or type(event_type) is not str or type(payload) is not dict:
            raise TypeError("id and type must be strings, payload an object")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        batch.reject(
            R.MALFORMED,
            f"not an event envelope: {exc}"[:300],
            source_key=source_key,
            raw=raw,
            entity=ENTITY,
            quarantine_id=quarantine_id,
        )
        return
    batch.add(
        event_id=event_id,
        entity=ENTITY,
        type=event_type,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        payload_json=orjson.dumps(payload).decode(),
        source_key=source_key,
        raw=raw,
        equipment_path=doc.get("equipment_path"),
        subject=doc.get("subject"),
        schema_version=int(doc.get("schema_version") or 1),
        quarantine_id=quarantine_id,
    )


@dataclass
class JetStreamStats:
    received: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0  # redelivered at or below the checkpoint: already landed, only acknowledged
    realignments: int = 0
    last_error: str | None = None


class JetStreamCollector:
    """Lands the stream from a durable pull consumer; run it with :meth:`run` on its own thread."""

    def __init__(self, config: JetStreamSourceConfig, landing: Landing) -> None:
        self.config = config
        self.landing = landing
        self.stats = JetStreamStats()
        self.connected = False

    def position(self) -> int:
        return int(self.landing.store.checkpoint(self.config.source) or 0)

    def run(self, stop: threading.Event) -> None:
        asyncio.run(self._run(stop))

    async def _run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                nc = await nats.connect(self.config.url, max_reconnect_attempts=-1, connect_timeout=5)
            except Exception as exc:  # server down: retry with back-off
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.5
            try:
                await self._consume(nc, stop)
            except Exception as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("JetStream collector: %s; reconnecting", exc)
                await asyncio.sleep(1.0)
            finally:
                self.connected = False
                if not nc.is_closed:
                    await nc.close()

    async def _subscribe(self, js: Any) -> Any:
        """Bind the durable consumer, realigned to the ODS checkpoint (see the module docstring)."""
        config, checkpoint = self.config, self.position()
        try:
            info = await js.consumer_info(config.stream, config.durable)
        except NotFoundError:
            info = None
        floor = info.ack_floor.stream_seq if info is not None and info.ack_floor else 0
        if info is None or floor != checkpoint or (info.num_ack_pending or 0) > 0:
            if info is not None:
                await js.delete_consumer(config.stream, config.durable)
                self.stats.realignments += 1
            await js.add_consumer(
                config.stream,
                api.ConsumerConfig(
                    name=config.durable,
                    durable_name=config.durable,
                    deliver_policy=(
                        api.DeliverPolicy.BY_START_SEQUENCE if checkpoint else api.DeliverPolicy.ALL
                    ),
                    opt_start_seq=checkpoint + 1 if checkpoint else None,
                    ack_policy=api.AckPolicy.EXPLICIT,
                    ack_wait=config.ack_wait_s,
                    max_ack_pending=max(config.batch_size * 4, 1000),
                    filter_subject=config.subjects,
                ),
            )
        return await js.pull_subscribe_bind(durable=config.durable, stream=config.stream)

    async def _consume(self, nc: Any, stop: threading.Event) -> None:
        js = nc.jetstream()
        await ensure_stream(js, self.config)
        sub = await self._subscribe(js)
        self.connected = True
        self.stats.last_error = None
        while not stop.is_set():
            try:
                msgs = await sub.fetch(self.config.batch_size, timeout=self.config.fetch_timeout_s)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            try:
                await asyncio.to_thread(self._land, msgs)
            except Exception as exc:  # nothing acked: realign so the unacked messages come first
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("landing a JetStream batch failed; realigning the consumer")
                await sub.unsubscribe()
                await asyncio.sleep(1.0)
                sub = await self._subscribe(js)
                continue
            for msg in msgs:
                await msg.ack()

    def _land(self, msgs: list[Any]) -> LandResult | None:
        checkpoint = self.position()
        batch = CandidateBatch(parser=PARSER)
        last = checkpoint
        for msg in msgs:
            seq = int(msg.metadata.sequence.stream)
            if seq <= checkpoint:
                self.stats.skipped += 1
                continue
            parse_envelope(batch, self.config.source, str(seq), msg.data)
            last = max(last, seq)
        self.stats.received += len(msgs)
        if not len(batch):
            return None
        result = self.landing.land(
            batch, source=self.config.source, kind=SourceKind.MES, checkpoint=str(last)
        )
        self.stats.landed += result.landed
        self.stats.duplicates += result.duplicates
        self.stats.quarantined += result.quarantined
        return result
