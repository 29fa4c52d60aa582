"""Ingest throughput: batch landing beside raw DuckDB Arrow appends, MQTT beside a bare paho subscriber.

Batch: MES outbox envelopes → parse → validate (SQL) → dedupe → land with ledger and checkpoint, one
transaction per page; baseline: appending the same rows as Arrow tables into a plain DuckDB table with the
same page size and one commit per page. MQTT: N messages queued at QoS 1 for a persistent session on a
private mosquitto, drained end-to-end into the ODS (ack after landing); baseline: a bare paho subscriber
(auto-ack, counting only) draining the same N on the same broker in the same run.

    python bench/ingest.py                 # small default
    python bench/ingest.py --events 1000000 --mqtt-events 200000 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from plantloop.collect.batch import CandidateBatch  # noqa: E402
from plantloop.collect.connectors.mes_outbox import OutboxCollector, add_envelope  # noqa: E402
from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig  # noqa: E402
from plantloop.collect.connectors.outbox_twins import InMemoryOutbox  # noqa: E402
from plantloop.collect.connectors.uns import UnsResolver  # noqa: E402
from plantloop.collect.landing import Landing  # noqa: E402
from plantloop.collect.ledger import source_status  # noqa: E402
from plantloop.dataplatform.ingest import OdsStore  # noqa: E402
from plantloop.dataplatform.ingest.schema import ods_table_ddl  # noqa: E402
from plantloop.kernel.envelope import EventEnvelope  # noqa: E402
from plantloop.mes.masterdata import load_reference_plant  # noqa: E402
from plantloop.sim.transports.mqtt_publisher import UnsPublisher, uns_topic  # noqa: E402

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _envelopes(n: int, paths: list[str]) -> list[EventEnvelope]:
    return [
        EventEnvelope.create(
            type="OperationCompleted",
            source="mes",
            key=("bench", i),
            occurred_at=T0 + timedelta(seconds=i),
            equipment_path=paths[i % len(paths)],
            subject=f"WO-{i // 20:06d}",
            payload={"qty_good": i % 50, "qty_scrap": i % 3, "operation_seq": 10},
        )
        for i in range(n)
    ]


def bench_batch(events: int, page: int, workdir: Path) -> tuple[float, float]:
    plant = load_reference_plant()
    paths = [plant.equipment_paths[e] for e in plant.equipment]
    envelopes = _envelopes(events, paths)
    outbox = InMemoryOutbox()
    outbox.append(envelopes)
    store = OdsStore(workdir / "batch.duckdb")
    collector = OutboxCollector(outbox, Landing.for_plant(store, plant), batch_size=page)
    started = time.perf_counter()
    assert collector.drain() == events
    ours = events / (time.perf_counter() - started)
    assert store.query("SELECT count(*) FROM ods_mes__events") == [(events,)]
    store.close()

    # Baseline: the same rows, already as Arrow pages, appended to a plain table; one commit per page.
    pages = []
    for start in range(0, events, page):
        batch = CandidateBatch(parser="bench")
        for i, env in enumerate(envelopes[start : start + page]):
            add_envelope(batch, env, str(start + i))
        table = batch.to_arrow()
        pages.append(
            table.select(
                [
                    "event_id",
                    "type",
                    "schema_version",
                    "occurred_at",
                    "recorded_at",
                    "equipment_path",
                    "subject",
                    "payload",
                    "source_key",
                ]
            )
        )
    con = duckdb.connect(str(workdir / "raw.duckdb"))
    con.execute(ods_table_ddl("raw").replace("PRIMARY KEY", ""))
    started = time.perf_counter()
    for table in pages:
        con.register("page", table)
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO raw SELECT CAST(event_id AS UUID), type, schema_version, occurred_at, recorded_at, "
            "equipment_path, subject, payload, 'mes', source_key, now(), 'b' FROM page"
        )
        con.execute("COMMIT")
        con.unregister("page")
    raw = events / (time.perf_counter() - started)
    con.close()
    return ours, raw


def _queue(host: str, port: int, messages: list[tuple[str, bytes]]) -> None:
    publisher = UnsPublisher(host, port, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    for topic, payload in messages:
        publisher.publish_raw(topic, payload)
    assert publisher.flush(300)
    publisher.close()


def _session(host: str, port: int, client_id: str, on_message: Any = None) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 2000
    if on_message:
        client.on_message = on_message
    client.connect(host, port, clean_start=False, properties=props)
    return client


def bench_mqtt(n: int, workdir: Path) -> tuple[float, float]:
    from tests.servers import MosquittoBroker

    plant = load_reference_plant()
    eq = list(plant.equipment)
    messages = [
        (
            uns_topic(plant.equipment_paths[eq[i % len(eq)]], "telemetry", "temperature_c"),
            json.dumps(
                {"ts": (T0 + timedelta(milliseconds=i)).isoformat(), "value": 40.0 + i % 9, "seq": i}
            ).encode(),
        )
        for i in range(n)
    ]
    broker = MosquittoBroker()
    broker.start()
    try:
        # Register both persistent sessions, then queue the same n messages for both.
        for cid in ("bench-bare", "bench-ours"):
            client = _session(broker.host, broker.port, cid)
            client.loop_start()
            client.subscribe("ACME/#", qos=1)
            time.sleep(0.3)
            client.disconnect()
            client.loop_stop()
        _queue(broker.host, broker.port, messages)

        count, done = [0], threading.Event()

        def on_message(_c: Any, _u: Any, _m: Any) -> None:
            count[0] += 1
            if count[0] >= n:
                done.set()

        started = time.perf_counter()
        bare = _session(broker.host, broker.port, "bench-bare", on_message)
        bare.loop_start()
        done.wait(600)
        raw = count[0] / (time.perf_counter() - started)
        bare.disconnect()
        bare.loop_stop()

        store = OdsStore(workdir / "mqtt.duckdb")
        landing = Landing.for_plant(store, plant)
        config = MqttSourceConfig(
            host=broker.host,
            port=broker.port,
            client_id="bench-ours",
            source="mqtt:bench",
            topic_filter="ACME/#",
            max_inflight=2000,
            batch_size=2000,
        )
        started = time.perf_counter()
        collector = MqttCollector(config, landing, UnsResolver(plant))
        collector.start()
        while collector.stats.received < n:
            time.sleep(0.005)
        ours = n / (time.perf_counter() - started)
        collector.stop()
        (status,) = source_status(store)
        assert status.landed == n and status.reconciles, status
        store.close()
    finally:
        broker.cleanup()
    return ours, raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="events for the batch path")
    ap.add_argument("--page", type=int, default=10_000, help="outbox page = landing batch size")
    ap.add_argument("--mqtt-events", type=int, default=30_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="plantloop-bench-") as tmp:
        batch, raw_append = bench_batch(args.events, args.page, Path(tmp))
        print(f"batch (outbox → validate → dedupe → ODS + ledger + checkpoint): {batch:,.0f} events/s")
        print(f"baseline raw DuckDB Arrow append, same rows and pages:          {raw_append:,.0f} rows/s")
        print(f"  ratio {batch / raw_append:.1%} (target ≥ 15%)")
        mqtt_ours, mqtt_raw = bench_mqtt(args.mqtt_events, Path(tmp))
        print(f"MQTT end-to-end into ODS (QoS 1, ack after landing):            {mqtt_ours:,.0f} events/s")
        print(f"baseline bare paho subscriber, same broker, same messages:      {mqtt_raw:,.0f} msgs/s")
        print(f"  ratio {mqtt_ours / mqtt_raw:.1%} (target ≥ 90%)")
    if args.json:
        print(
            json.dumps(
                {
                    "batch_events_per_s": round(batch),
                    "raw_append_rows_per_s": round(raw_append),
                    "mqtt_events_per_s": round(mqtt_ours),
                    "raw_mqtt_msgs_per_s": round(mqtt_raw),
                }
            )
        )


if __name__ == "__main__":
    main()
