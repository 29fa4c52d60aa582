"""The ingest worker process: MQTT and the MES outbox into one DuckDB warehouse, until told to stop.

``python -m plantloop.collect.worker --warehouse var/warehouse.duckdb --mqtt 127.0.0.1:1883
--outbox-sqlite var/outbox.db`` — prints ``READY`` once subscribed, stops cleanly on SIGTERM / SIGINT,
and may be killed at any moment (SIGKILL): nothing acknowledged or checkpointed is ever lost, and what
was not is offered again on restart. ``--exit-when-idle-s`` ends it after that long without input.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from plantloop.collect.connectors.mes_outbox import OutboxCollector
from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig
from plantloop.collect.connectors.outbox_twins import SqliteOutbox
from plantloop.collect.connectors.uns import UnsResolver
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import OdsStore
from plantloop.mes.masterdata import load_plant, load_reference_plant


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m plantloop.collect.worker", description=__doc__)
    ap.add_argument("--warehouse", required=True, type=Path, help="DuckDB file of the ODS")
    ap.add_argument("--plant", type=Path, help="plant YAML (default: the reference plant)")
    ap.add_argument("--mqtt", help="HOST:PORT of the MQTT broker")
    ap.add_argument("--mqtt-client-id", default="plantloop-collect")
    ap.add_argument("--mqtt-source", default="mqtt:uns")
    ap.add_argument("--max-inflight", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--outbox-sqlite", type=Path, help="SQLite file with an outbox table (MES twin)")
    ap.add_argument("--outbox-source", default="mes")
    ap.add_argument("--exit-when-idle-s", type=float, default=0.0)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(levelname)s %(message)s")
    plant = load_plant(args.plant) if args.plant else load_reference_plant()
    store = OdsStore(args.warehouse)
    landing = Landing.for_plant(store, plant)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    mqtt_collector: MqttCollector | None = None
    if args.mqtt:
        host, _, port = args.mqtt.rpartition(":")
        config = MqttSourceConfig(
            host=host,
            port=int(port),
            source=args.mqtt_source,
            client_id=args.mqtt_client_id,
            max_inflight=args.max_inflight,
            batch_size=args.batch_size,
        )
        mqtt_collector = MqttCollector(config, landing, UnsResolver(plant))
        mqtt_collector.start()
        if not mqtt_collector.subscribed.wait(30):
            print("mqtt subscription not confirmed within 30 s", file=sys.stderr)
            return 2
    outbox: OutboxCollector | None = None
    outbox_thread: threading.Thread | None = None
    if args.outbox_sqlite:
        outbox = OutboxCollector(SqliteOutbox(args.outbox_sqlite), landing, source=args.outbox_source)
        outbox_thread = threading.Thread(target=outbox.run, args=(stop,), name="outbox", daemon=True)
        outbox_thread.start()
    print("READY", flush=True)

    last_activity, last_seen = time.monotonic(), -1
    while not stop.wait(0.25):
        if args.exit_when_idle_s <= 0:
            continue
        seen = (mqtt_collector.stats.received if mqtt_collector else 0) + (outbox.position() if outbox else 0)
        busy = outbox is not None and outbox.lag() > 0
        if seen != last_seen or busy:
            last_seen, last_activity = seen, time.monotonic()
        elif time.monotonic() - last_activity > args.exit_when_idle_s:
            break
    stop.set()
    if mqtt_collector:
        mqtt_collector.stop()
    if outbox_thread:
        outbox_thread.join(10)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
