"""Ingest throughput: batch sources beside raw DuckDB Arrow appends, MQTT beside a bare paho subscriber.

Batch, three paths, each measured page by page **interleaved** with its baseline (so that a busy machine
slows both alike):

- ``outbox``: a SQLite file shaped like the MES outbox → columnar pages → validate (SQL) → dedupe → ODS +
  ledger + checkpoint, one transaction per page;
- ``rest``: ``RestIngest.push`` of JSON bodies (the API route's work without HTTP): parse, validate,
  dedupe, land, idempotency record;
- ``csv``: ``import_file`` of CSV files of QMS results with the per-row report;
- baseline: the same number of ODS-shaped rows, already as Arrow pages, appended to a plain DuckDB table
  (no key, no checks) with one commit per page.

``batch_events_per_s`` (with its ``raw_append_rows_per_s``) is the path with the lowest ratio to its own
baseline (each path must meet the target on its own).

MQTT: in each of ``--rounds`` rounds, N telemetry messages are queued at QoS 1 for two persistent sessions
on a private mosquitto; then the bare paho subscriber (auto-ack, counting only) and our collector (parse,
validate, land, ack after commit) drain them, in alternating order. Rates are totals over all rounds.

    python bench/ingest.py                                  # small default
    python bench/ingest.py --events 1000000 --mqtt-events 100000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
import pyarrow as pa  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from plantloop.collect.connectors.files import import_file  # noqa: E402
from plantloop.collect.connectors.mes_outbox import (  # noqa: E402
    EnvelopePages,
    OutboxCollector,
    page_to_batch,
)
from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig  # noqa: E402
from plantloop.collect.connectors.outbox_twins import InMemoryOutbox, SqliteOutbox  # noqa: E402
from plantloop.collect.connectors.rest import RestIngest  # noqa: E402
from plantloop.collect.connectors.uns import UnsResolver  # noqa: E402
from plantloop.collect.landing import Landing  # noqa: E402
from plantloop.collect.ledger import source_status  # noqa: E402
from plantloop.dataplatform.ingest import OdsStore  # noqa: E402
from plantloop.dataplatform.ingest.schema import ods_table_ddl  # noqa: E402
from plantloop.kernel.envelope import EventEnvelope  # noqa: E402
from plantloop.mes.masterdata import PlantDefinition, load_reference_plant  # noqa: E402
from plantloop.sim.transports.mqtt_publisher import UnsPublisher, uns_topic  # noqa: E402

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


@dataclass
class PathRate:
    name: str
    events: int
    ours_s: float
    raw_s: float

    @property
    def ours(self) -> float:
        return self.events / self.ours_s

    @property
    def raw(self) -> float:
        return self.events / self.raw_s


class RawAppender:
    """The baseline: Arrow pages appended to a plain ODS-shaped table, one commit per page."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path))
        self.con.execute(ods_table_ddl("raw").replace("PRIMARY KEY", ""))

    def append(self, page: pa.Table) -> float:
        started = time.perf_counter()
        self.con.register("page", page)
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute(
            "INSERT INTO raw SELECT CAST(event_id AS UUID), type, schema_version, occurred_at, recorded_at, "
            "equipment_path, subject, payload, 'bench', source_key, now(), 'b' FROM page"
        )
        self.con.execute("COMMIT")
        self.con.unregister("page")
        return time.perf_counter() - started

    def close(self) -> None:
        self.con.close()


def _envelopes(n: int, paths: list[str], start: int = 0) -> list[EventEnvelope]:
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
        for i in range(start, start + n)
    ]


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _raw_pages(n: int, page: int, paths: list[str]) -> Iterator[pa.Table]:
    """The baseline's pages, built one at a time (ODS-shaped rows of the same kind of events)."""
    for start in range(0, n, page):
        outbox = InMemoryOutbox()
        outbox.append(_envelopes(min(page, n - start), paths, start))
        yield page_to_batch(EnvelopePages(outbox).fetch_page(0, page))


def bench_outbox(plant: PlantDefinition, n: int, page: int, workdir: Path, raw: RawAppender) -> PathRate:
    paths = [plant.equipment_paths[e] for e in plant.equipment]
    twin = SqliteOutbox(workdir / "outbox.sqlite")
    for start in range(0, n, 50_000):
        twin.append(_envelopes(min(50_000, n - start), paths, start))
    twin.close()
    store = OdsStore(workdir / "outbox.duckdb")
    collector = OutboxCollector(
        SqliteOutbox(workdir / "outbox.sqlite").pages(), Landing.for_plant(store, plant), batch_size=page
    )
    rate = PathRate("outbox", n, 0.0, 0.0)
    for raw_page in _raw_pages(n, page, paths):
        rate.ours_s += _timed(collector.poll_once)
        rate.raw_s += raw.append(raw_page)
    assert store.query("SELECT count(*) FROM ods_mes__events") == [(n,)]
    store.close()
    return rate


def bench_rest(plant: PlantDefinition, n: int, per_request: int, workdir: Path, raw: RawAppender) -> PathRate:
    paths = [plant.equipment_paths[e] for e in plant.equipment]
    store = OdsStore(workdir / "rest.duckdb")
    rest = RestIngest(Landing.for_plant(store, plant), equipment_paths=dict(plant.equipment_paths))
    eq = list(plant.equipment)
    rate = PathRate("rest", n, 0.0, 0.0)
    for start, raw_page in zip(range(0, n, per_request), _raw_pages(n, per_request, paths), strict=True):
        events = [
            {
                "type": "LotInspected",
                "occurred_at": (T0 + timedelta(seconds=i)).isoformat(),
                "key": ["bench", i],
                "equipment_id": eq[i % len(eq)],
                "subject": f"LOT-{i // 20:06d}",
                "payload": {"qty_good": i % 50, "qty_scrap": i % 3, "operation_seq": 10},
            }
            for i in range(start, min(n, start + per_request))
        ]
        body = json.dumps({"events": events}).encode()
        rate.ours_s += _timed(lambda b=body, k=f"k-{start}": rest.push("bench", "events", b, k))
        rate.raw_s += raw.append(raw_page)
    assert store.query("SELECT count(*) FROM ods_rest__events") == [(n,)]
    store.close()
    return rate


def bench_csv(plant: PlantDefinition, n: int, per_file: int, workdir: Path, raw: RawAppender) -> PathRate:
    paths = [plant.equipment_paths[e] for e in plant.equipment]
    store = OdsStore(workdir / "csv.duckdb")
    landing = Landing.for_plant(store, plant)
    rate = PathRate("csv", n, 0.0, 0.0)
    eq = list(plant.equipment)
    for start, raw_page in zip(range(0, n, per_file), _raw_pages(n, per_file, paths), strict=True):
        lines = ["result_id,lot_id,characteristic,value,measured_at,equipment_id,passed"]
        for i in range(start, min(n, start + per_file)):
            at = (T0 + timedelta(seconds=i)).isoformat()
            lines.append(f"R-{i},LOT-{i // 20},diameter_mm,{20 + (i % 7) / 100:.2f},{at},{eq[i % len(eq)]},1")
        path = workdir / f"qms-{start}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        rate.ours_s += _timed(lambda p=path: import_file(p, "qms_results", landing, source="files:bench"))
        rate.raw_s += raw.append(raw_page)
        path.unlink()
    assert store.query("SELECT count(*) FROM ods_files__qms_results") == [(n,)]
    store.close()
    return rate


# ---- MQTT -------------------------------------------------------------------------------------------
def _session(host: str, port: int, client_id: str, on_message: Any = None) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = MqttSourceConfig().max_inflight  # the same window as ours
    if on_message:
        client.on_message = on_message
    client.connect(host, port, clean_start=False, properties=props)
    return client


def _queue(host: str, port: int, messages: list[tuple[str, bytes]]) -> None:
    publisher = UnsPublisher(host, port, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    for topic, payload in messages:
        publisher.publish_raw(topic, payload)
    assert publisher.flush(600)
    publisher.close()


def _messages(plant: PlantDefinition, n: int, start: int) -> list[tuple[str, bytes]]:
    eq = list(plant.equipment)
    return [
        (
            uns_topic(plant.equipment_paths[eq[i % len(eq)]], "telemetry", "temperature_c"),
            json.dumps(
                {"ts": (T0 + timedelta(milliseconds=i)).isoformat(), "value": 40.0 + i % 9, "seq": i}
            ).encode(),
        )
        for i in range(start, start + n)
    ]


def _drain_bare(host: str, port: int, n: int) -> float:
    count, done = [0], threading.Event()

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        count[0] += 1
        if count[0] >= n:
            done.set()

    started = time.perf_counter()
    bare = _session(host, port, "bench-bare", on_message)
    bare.loop_start()
    assert done.wait(900), f"bare subscriber got {count[0]} of {n}"
    elapsed = time.perf_counter() - started
    bare.disconnect()
    bare.loop_stop()
    return elapsed


def _drain_ours(config: MqttSourceConfig, landing: Landing, plant: PlantDefinition, n: int) -> float:
    started = time.perf_counter()
    collector = MqttCollector(config, landing, UnsResolver(plant))
    collector.start()
    deadline = time.monotonic() + 900
    while collector.stats.landed < n and time.monotonic() < deadline:
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    collector.stop()
    # a reconnect on a busy machine redelivers unacked messages: they count as duplicates, not as new
    assert collector.stats.landed == n and collector.stats.received == n + collector.stats.duplicates
    return elapsed


def bench_mqtt(plant: PlantDefinition, n: int, rounds: int, workdir: Path) -> PathRate:
    from tests.servers import MosquittoBroker

    broker = MosquittoBroker()
    broker.start()
    store = OdsStore(workdir / "mqtt.duckdb")
    landing = Landing.for_plant(store, plant)
    config = MqttSourceConfig(
        host=broker.host, port=broker.port, client_id="bench-ours", source="mqtt:bench", topic_filter="ACME/#"
    )
    rate = PathRate("mqtt", n * rounds, 0.0, 0.0)
    try:
        for cid in ("bench-bare", "bench-ours"):  # register both persistent sessions
            client = _session(broker.host, broker.port, cid)
            client.loop_start()
            client.subscribe("ACME/#", qos=1)
            time.sleep(0.3)
            client.disconnect()
            client.loop_stop()
        for r in range(rounds):
            _queue(broker.host, broker.port, _messages(plant, n, r * n))
            if r % 2 == 0:
                rate.raw_s += _drain_bare(broker.host, broker.port, n)
                rate.ours_s += _drain_ours(config, landing, plant, n)
            else:
                rate.ours_s += _drain_ours(config, landing, plant, n)
                rate.raw_s += _drain_bare(broker.host, broker.port, n)
        (status,) = source_status(store)
        assert status.landed == n * rounds and status.reconciles, status
    finally:
        store.close()
        broker.cleanup()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="events per batch path")
    ap.add_argument("--page", type=int, default=10_000, help="outbox page / REST request / CSV file size")
    ap.add_argument("--mqtt-events", type=int, default=20_000, help="MQTT messages per round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    plant = load_reference_plant()
    with tempfile.TemporaryDirectory(prefix="plantloop-bench-") as tmp:
        workdir = Path(tmp)
        raw = RawAppender(workdir / "raw.duckdb")
        batch = [
            bench_outbox(plant, args.events, args.page, workdir, raw),
            bench_rest(plant, args.events, args.page, workdir, raw),
            bench_csv(plant, args.events, args.page, workdir, raw),
        ]
        raw.close()
        for r in batch:
            print(
                f"batch {r.name:7} {r.ours:>10,.0f} events/s   raw append, same run {r.raw:>10,.0f} rows/s   "
                f"ratio {r.ours / r.raw:6.1%} (target ≥ 15%)"
            )
        slowest = min(batch, key=lambda r: r.ours / r.raw)
        mq = bench_mqtt(plant, args.mqtt_events, args.rounds, workdir)
        print(
            f"MQTT end-to-end into ODS {mq.ours:>10,.0f} events/s   "
            f"bare paho subscriber {mq.raw:>10,.0f} msgs/s   ratio {mq.ours / mq.raw:6.1%} (target ≥ 90%)"
        )
    if args.json:
        out = {
            "batch_events_per_s": round(slowest.ours),
            "raw_append_rows_per_s": round(slowest.raw),
            "mqtt_events_per_s": round(mq.ours),
            "raw_mqtt_msgs_per_s": round(mq.raw),
            **{f"{r.name}_events_per_s": round(r.ours) for r in batch},
            **{f"{r.name}_raw_rows_per_s": round(r.raw) for r in batch},
        }
        print(json.dumps(out))


if __name__ == "__main__":
    main()
