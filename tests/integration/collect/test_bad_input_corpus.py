"""The malformed-input corpus through the real things: a real mosquitto, the real app served by uvicorn over
HTTP, real files on disk. Every input is quarantined with a reason or refused with a 4xx and a reason; no
worker stops; the ledger counts every offered input (none lost)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from plantloop.api.main import create_app
from plantloop.api.routes.ingest import build_ingest_router
from plantloop.bootstrap import build_in_memory_container
from plantloop.collect.connectors.files import import_file
from plantloop.collect.connectors.mqtt import MqttSourceConfig
from plantloop.collect.errors import QuarantineReason
from plantloop.collect.ledger import source_status
from plantloop.collect.service import CollectService
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.mqtt_publisher import UnsPublisher
from tests.servers import MosquittoBroker, free_port
from tests.unit.collect.corpus import csv_bad_rows, mqtt_cases, rest_bad_bodies, rest_bad_events
from tests.waiting import until

pytestmark = pytest.mark.mqtt
REASONS = {r.value for r in QuarantineReason}


@pytest.fixture
def service(
    tmp_path: Path, mqtt_broker: MosquittoBroker, reference_plant: PlantDefinition
) -> Iterator[CollectService]:
    settings = Settings(demo=True, warehouse_path=tmp_path / "warehouse.duckdb")
    mqtt = MqttSourceConfig(
        host=mqtt_broker.host,
        port=mqtt_broker.port,
        source="mqtt:corpus",
        client_id=f"corpus-{uuid.uuid4().hex[:8]}",
        topic_filter="#",  # everything on the broker: even topics outside the namespace are offered
        batch_size=50,
        session_expiry_s=0,  # a session that queues the rest of the test run would only slow the broker
    )
    svc = CollectService(settings, reference_plant, mqtt=mqtt)
    assert svc.start(wait_subscribed_s=10)
    yield svc
    svc.stop()


def _broker_refuses(broker: MosquittoBroker, topic: str, payload: bytes) -> bool:
    """Publish once on a throwaway connection: True when the broker closes it instead of acknowledging."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    info = client.publish(topic, payload, qos=1)
    time.sleep(1.0)
    acknowledged = bool(info._published)  # set by the broker's PUBACK
    client.loop_stop()
    return not acknowledged


def _offered(store: OdsStore, source: str) -> int:
    rows = [s for s in source_status(store) if s.source == source]
    return rows[0].offered if rows else 0


def test_the_mqtt_corpus_through_a_real_broker_is_all_quarantined_or_refused_by_the_protocol(
    service: CollectService, mqtt_broker: MosquittoBroker
) -> None:
    publisher = UnsPublisher(mqtt_broker.host, mqtt_broker.port, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    sent, refused = 0, 0
    for case in mqtt_cases():
        if "\x00" in case.topic:  # MQTT forbids U+0000 in topic names: the broker drops the connection
            assert _broker_refuses(mqtt_broker, case.topic, case.payload)
            refused += 1
            continue
        publisher.publish_raw(case.topic, case.payload)
        sent += 1
    assert publisher.flush(30)
    publisher.close()
    assert until(lambda: _offered(service.store, "mqtt:corpus") >= sent)
    (status,) = [s for s in source_status(service.store) if s.source == "mqtt:corpus"]
    assert (status.offered, status.quarantined, status.landed) == (sent, sent, 0)
    reasons = {r.reason for r in service.quarantine.list(source="mqtt:corpus", limit=1000)}
    assert reasons <= REASONS and len(reasons) >= 8
    assert service.mqtt is not None and service.mqtt._thread is not None and service.mqtt._thread.is_alive()
    assert sent + refused == len(mqtt_cases()) and sent >= 140


def test_the_rest_corpus_over_real_http_is_quarantined_per_event_or_refused_whole_with_a_reason(
    service: CollectService, reference_plant: PlantDefinition
) -> None:
    container = build_in_memory_container(service.settings, plant=reference_plant)
    app = create_app(container, extra_routers=[build_ingest_router(service)], run_relay=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert until(lambda: server.started, 30)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", auth=("integrator", "demo")) as http:
            events = rest_bad_events()
            response = http.post("/ingest/corpus/events", content=json.dumps({"events": events}))
            assert response.status_code == 200
            body = response.json()
            assert (body["landed"], body["quarantined"]) == (0, len(events))
            assert {r["reason"] for r in body["rejected"]} <= REASONS
            for raw, status in rest_bad_bodies():
                refused = http.post("/ingest/corpus/events", content=raw)
                verdict = (refused.status_code, refused.json().get("reason") in REASONS)
                assert verdict == (status, True), raw[:40]
            assert http.get("/health").status_code in (200, 404)  # the server still answers
    finally:
        server.should_exit = True
        thread.join(10)
    (ledger,) = [s for s in source_status(service.store) if s.source == "rest:corpus"]
    assert ledger.offered == ledger.quarantined == len(events)


def test_the_csv_corpus_from_a_real_file_is_quarantined_and_reported_by_line(
    service: CollectService, tmp_path: Path
) -> None:
    rows = csv_bad_rows()
    path = tmp_path / "orders.csv"
    path.write_bytes(b"order_no,material_id,qty,due_at\n" + b"\n".join(rows) + b"\n")
    report = import_file(path, "erp_orders", service.landing, source="files:corpus")
    expected = [(n, "quarantined") for n in range(2, len(rows) + 2)]
    assert [(r.row_number, r.outcome) for r in report.rows] == expected
    assert {r.reason for r in report.rows} <= REASONS
    (ledger,) = [s for s in source_status(service.store) if s.source == "files:corpus"]
    assert ledger.offered == ledger.quarantined == len(rows)


def test_the_corpus_has_at_least_200_malformed_inputs() -> None:
    total = len(mqtt_cases()) + len(rest_bad_events()) + len(rest_bad_bodies()) + len(csv_bad_rows())
    assert total >= 200
