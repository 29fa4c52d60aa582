"""MQTT connector against a real mosquitto: persistent session, ack after landing, bad input quarantined."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig
from plantloop.collect.connectors.uns import UnsResolver
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.mqtt_publisher import UnsPublisher
from tests.servers import MosquittoBroker
from tests.unit.collect.corpus import mqtt_cases

pytestmark = pytest.mark.mqtt
T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _collector(
    broker: MosquittoBroker,
    landing: Landing,
    plant: PlantDefinition,
    client_id: str,
    topic_filter: str = "ACME/#",
) -> MqttCollector:
    config = MqttSourceConfig(
        host=broker.host,
        port=broker.port,
        client_id=client_id,
        source="mqtt:it",
        max_inflight=200,
        batch_size=100,
        topic_filter=topic_filter,
        session_expiry_s=60,  # long enough to come back within the test, short enough not to pile up
    )
    collector = MqttCollector(config, landing, UnsResolver(plant))
    collector.start()
    assert collector.subscribed.wait(10)
    return collector


def _wait_for(predicate: object, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _publish(broker: MosquittoBroker, plant: PlantDefinition, n: int, start: int = 0) -> None:
    publisher = UnsPublisher(broker.host, broker.port, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    path = plant.equipment_paths["IM-02"]
    for i in range(start, start + n):
        publisher.publish_telemetry(path, "temperature_c", 200.0 + i, T0 + timedelta(seconds=i), seq=i)
    assert publisher.flush(20)
    publisher.close()


def _landed(store: OdsStore) -> int:
    if "ods_mqtt__telemetry" not in store.ods_tables():
        return 0
    return int(store.query("SELECT count(*) FROM ods_mqtt__telemetry")[0][0])


def test_messages_published_while_the_collector_is_away_land_when_it_returns(
    mqtt_broker: MosquittoBroker, landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    client_id = f"it-{uuid.uuid4().hex[:8]}"
    collector = _collector(mqtt_broker, landing, reference_plant, client_id)
    _publish(mqtt_broker, reference_plant, 50)
    assert _wait_for(lambda: _landed(store) == 50)
    collector.stop()
    _publish(mqtt_broker, reference_plant, 70, start=50)
    collector = _collector(mqtt_broker, landing, reference_plant, client_id)
    assert _wait_for(lambda: _landed(store) == 120)
    collector.stop()
    (status,) = source_status(store)
    assert status.reconciles and status.landed == 120


def test_messages_are_acknowledged_only_after_they_land_so_a_failed_landing_loses_nothing(
    mqtt_broker: MosquittoBroker, landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    client_id = f"it-{uuid.uuid4().hex[:8]}"
    original = store.land

    def broken(*args: object, **kw: object) -> object:
        raise OSError("disk full")

    store.land = broken  # type: ignore[method-assign]
    collector = _collector(mqtt_broker, landing, reference_plant, client_id)
    _publish(mqtt_broker, reference_plant, 40)
    time.sleep(0.5)
    collector.stop(drain_s=0.2)
    store.land = original  # type: ignore[method-assign]
    assert store.query("SELECT count(*) FROM ingest_ledger") == [(0,)]
    collector = _collector(mqtt_broker, landing, reference_plant, client_id)
    assert _wait_for(lambda: _landed(store) == 40)
    collector.stop()


def test_the_malformed_mqtt_corpus_is_quarantined_over_a_real_broker_without_stopping_the_collector(
    mqtt_broker: MosquittoBroker, landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    # Everything under the enterprise's namespace is offered to the collector, whatever its shape.
    cases = [c for c in mqtt_cases() if c.topic.startswith("ACME/") and c.topic.isprintable()]
    collector = _collector(mqtt_broker, landing, reference_plant, f"it-{uuid.uuid4().hex[:8]}")
    publisher = UnsPublisher(mqtt_broker.host, mqtt_broker.port, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    for case in cases:
        publisher.publish_raw(case.topic, case.payload)
    assert publisher.flush(20)
    publisher.close()

    def offered() -> int:
        rows = source_status(store)
        return rows[0].offered if rows else 0

    assert _wait_for(lambda: offered() >= len(cases))
    (status,) = source_status(store)
    assert (status.offered, status.quarantined, status.landed) == (len(cases), len(cases), 0)
    assert collector._thread is not None and collector._thread.is_alive()
    collector.stop()
