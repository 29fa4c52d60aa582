"""Sparkplug B edge nodes over a real mosquitto: births, data by alias, deaths — beside UNS JSON."""

from __future__ import annotations

import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from plantloop.collect.connectors.mqtt import MqttSourceConfig
from plantloop.collect.connectors.sparkplug import Payload
from plantloop.collect.service import CollectService
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from tests.servers import MosquittoBroker
from tests.unit.collect.conftest import T0
from tests.waiting import until

pytestmark = pytest.mark.mqtt
MS = int(T0.timestamp() * 1000)


def test_an_edge_node_births_and_sends_data_by_alias_and_every_metric_lands(
    tmp_path: Path, mqtt_broker: MosquittoBroker, reference_plant: PlantDefinition
) -> None:
    group = f"G{uuid.uuid4().hex[:6]}"
    config = MqttSourceConfig(
        host=mqtt_broker.host,
        port=mqtt_broker.port,
        client_id=f"sp-{group}",
        topic_filter="ACME/#",
        extra_filters=(f"spBv1.0/{group}/#",),
        batch_size=50,
        session_expiry_s=0,
    )
    service = CollectService(Settings(warehouse_path=tmp_path / "w.duckdb"), reference_plant, mqtt=config)
    assert service.start(wait_subscribed_s=10)
    edge = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    edge.connect(mqtt_broker.host, mqtt_broker.port)
    edge.loop_start()
    birth = Payload(timestamp=MS, seq=0)
    birth.metrics.add(name="vibration_mm_s", alias=1, datatype=10, double_value=2.5)
    infos = [edge.publish(f"spBv1.0/{group}/DBIRTH/FAB-EDGE/PR-01", birth.SerializeToString(), qos=1)]
    for i in range(1, 101):
        data = Payload(timestamp=MS + i * 1000, seq=i % 256)
        data.metrics.add(alias=1, datatype=10, double_value=2.5 + i / 100)
        infos.append(edge.publish(f"spBv1.0/{group}/DDATA/FAB-EDGE/PR-01", data.SerializeToString(), qos=1))
    infos.append(
        edge.publish(
            f"spBv1.0/{group}/DDEATH/FAB-EDGE/PR-01",
            Payload(timestamp=MS + 200_000).SerializeToString(),
            qos=1,
        )
    )
    for info in infos:
        info.wait_for_publish(10)
    edge.loop_stop()

    def landed() -> int:
        return sum(s.landed for s in service.status().sources)

    assert until(lambda: landed() == 102)
    rows = service.store.query(
        "SELECT count(*), min(CAST(payload->>'value' AS DOUBLE)), max(CAST(payload->>'value' AS DOUBLE)) "
        "FROM ods_mqtt__telemetry WHERE subject = 'vibration_mm_s'"
    )
    assert rows == [(101, 2.5, 3.5)]
    assert service.store.query("SELECT type FROM ods_mqtt__event") == [("DeviceOffline",)]
    assert all(s.reconciles for s in service.status().sources)
    service.stop()
