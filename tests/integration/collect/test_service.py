"""CollectService: the MES outbox (real SQLite MES) and MQTT (real mosquitto) land in one ODS file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plantloop.bootstrap import build_container
from plantloop.collect.service import CollectService, mqtt_config
from plantloop.kernel.settings import Settings
from plantloop.mes.domain.commands import CreateWorkOrder
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.mqtt_publisher import UnsPublisher
from tests.servers import MosquittoBroker
from tests.waiting import until

pytestmark = pytest.mark.mqtt
T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def test_the_service_lands_the_mes_outbox_and_the_uns_telemetry_and_reports_both_in_its_status(
    tmp_path: Path, mqtt_broker: MosquittoBroker, reference_plant: PlantDefinition
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_host=mqtt_broker.host, mqtt_port=mqtt_broker.port)
    container = build_container(settings, plant=reference_plant)
    client_id = f"svc-{uuid.uuid4().hex[:8]}"
    mqtt = mqtt_config(settings, reference_plant, client_id=client_id, session_expiry_s=0)
    service = CollectService.for_container(container, mqtt=mqtt, poll_interval_s=0.05)
    assert service.start(wait_subscribed_s=10)
    container.bus.handle(
        CreateWorkOrder(work_order_id="WO-S1", material_id="P-KET-01", qty=10, due_at=T0 + timedelta(days=2))
    )
    publisher = UnsPublisher(mqtt_broker.host, mqtt_broker.port, client_id=f"pub-{client_id}")
    path = reference_plant.equipment_paths["IM-01"]
    for i in range(30):
        publisher.publish_telemetry(path, "temperature_c", 200.0 + i, T0 + timedelta(seconds=i), seq=i)
    assert publisher.flush(20)
    publisher.close()

    def landed() -> dict[str, int]:
        return {s.source: s.landed for s in service.status().sources}

    assert until(lambda: landed().get("mqtt:uns") == 30 and landed().get("mes", 0) >= 1)
    status = service.status()
    assert all(s.reconciles for s in status.sources)
    health = {c.name: c for c in status.connectors}
    assert health["mqtt"].connected and health["outbox"].lag == 0
    mes_types = service.store.query("SELECT DISTINCT type FROM ods_mes__events ORDER BY 1")
    assert ("WorkOrderCreated",) in mes_types
    service.stop()
    container.close()
    assert settings.resolved_warehouse_path().exists()
