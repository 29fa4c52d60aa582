"""The scale-out path against a real ``nats-server -js``: MES outbox → relay → JetStream → collector → ODS."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plantloop.collect.connectors.jetstream import (
    JetStreamCollector,
    JetStreamPublisher,
    JetStreamSourceConfig,
)
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxRecord
from plantloop.mes.masterdata import PlantDefinition
from tests.servers import NatsServer
from tests.waiting import until

pytestmark = pytest.mark.nats
T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _records(n: int, start: int = 0) -> list[OutboxRecord]:
    return [
        OutboxRecord(
            i + 1,
            EventEnvelope.create(
                type="OperationCompleted",
                source="mes",
                key=("js", i),
                occurred_at=T0 + timedelta(seconds=i),
                subject=f"WO-{i // 10}",
                payload={"qty_good": i % 7},
            ),
        )
        for i in range(start, start + n)
    ]


def _landed(store: OdsStore, source: str) -> int:
    rows = [s for s in source_status(store) if s.source == source]
    return rows[0].landed if rows else 0


@pytest.fixture
def config(nats_url: str) -> JetStreamSourceConfig:
    name = uuid.uuid4().hex[:8].upper()
    return JetStreamSourceConfig(
        url=nats_url,
        stream=f"EVENTS_{name}",
        subject_prefix=f"t{name}.events",
        durable=f"collect-{name}",
        source=f"nats:{name}",
        batch_size=50,
        fetch_timeout_s=0.2,
    )


def test_envelopes_relayed_to_the_stream_land_once_and_a_republish_is_dropped_by_the_stream(
    config: JetStreamSourceConfig, tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    store = OdsStore(tmp_path / "w.duckdb")
    publisher = JetStreamPublisher(config)
    records = _records(120)
    publisher.handle(records)
    publisher.handle(records[:40])  # the relay crashed before its checkpoint: it publishes again
    assert (publisher.published, publisher.duplicates) == (160, 40)
    collector = JetStreamCollector(config, Landing.for_plant(store, reference_plant))
    stop = threading.Event()
    thread = threading.Thread(target=collector.run, args=(stop,), daemon=True)
    thread.start()
    assert until(lambda: _landed(store, config.source) == 120)
    stop.set()
    thread.join(10)
    publisher.close()
    (status,) = source_status(store)
    assert (status.offered, status.landed, status.duplicates) == (120, 120, 0)
    assert store.checkpoint(config.source) == "120"
    ids = {r[0] for r in store.query("SELECT CAST(event_id AS VARCHAR) FROM ods_mes__events")}
    assert ids == {r.envelope.id for r in records}
    store.close()


def test_a_collector_that_crashed_after_landing_but_before_acking_resumes_exactly_after_its_checkpoint(
    config: JetStreamSourceConfig, tmp_path: Path, reference_plant: PlantDefinition, nats_server: NatsServer
) -> None:
    store = OdsStore(tmp_path / "w.duckdb")
    landing = Landing.for_plant(store, reference_plant)
    publisher = JetStreamPublisher(config)
    publisher.handle(_records(100))
    first = JetStreamCollector(config, landing)
    acked = threading.Event()

    async def no_ack() -> None:  # the process dies between the commit and the acks
        acked.set()

    stop = threading.Event()
    original = first._land

    def land_then_die(msgs: list[object]) -> object:
        result = original(msgs)  # type: ignore[arg-type]
        for msg in msgs:
            msg.ack = no_ack  # type: ignore[attr-defined]
        stop.set()
        return result

    first._land = land_then_die  # type: ignore[method-assign]
    thread = threading.Thread(target=first.run, args=(stop,), daemon=True)
    thread.start()
    thread.join(20)
    landed_before = _landed(store, config.source)
    assert 0 < landed_before <= config.batch_size and acked.is_set()
    publisher.handle(_records(50, start=100))
    nats_server.restart()  # and the server goes down and up meanwhile
    second = JetStreamCollector(config, landing)
    stop2 = threading.Event()
    thread2 = threading.Thread(target=second.run, args=(stop2,), daemon=True)
    thread2.start()
    assert until(lambda: _landed(store, config.source) == 150, 40)
    stop2.set()
    thread2.join(10)
    publisher.close()
    assert second.stats.realignments == 1
    (status,) = source_status(store)
    assert (status.offered, status.landed, status.duplicates) == (150, 150, 0)
    assert store.query("SELECT count(*), count(DISTINCT event_id) FROM ods_mes__events") == [(150, 150)]
    store.close()
