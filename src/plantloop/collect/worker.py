"""The ingest worker process: a :class:`~plantloop.collect.service.CollectService` until told to stop.

``python -m plantloop.collect.worker --warehouse var/warehouse.duckdb --mqtt 127.0.0.1:1883
--outbox-url sqlite:///var/mes.db`` (or ``plantloop collect run …``) — prints ``READY`` once its
connectors run, stops cleanly on SIGTERM / SIGINT, and may be killed at any moment (SIGKILL): nothing
acknowledged or checkpointed is ever lost, and what was not is offered again on restart.
``--exit-when-idle-s`` ends it after that long without new input (for batch runs and benchmarks);
``--progress-every-s`` prints ``LANDED <rows>`` lines (rows landed from all sources, from the ledger).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from plantloop.collect.connectors.mes_outbox import SqlOutboxPages
from plantloop.collect.connectors.mqtt import MqttSourceConfig
from plantloop.collect.service import CollectService
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import load_plant, load_reference_plant


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m plantloop.collect.worker", description=__doc__)
    ap.add_argument("--warehouse", required=True, type=Path, help="DuckDB file of the ODS")
    ap.add_argument("--plant", type=Path, help="plant YAML (default: the reference plant)")
    ap.add_argument("--config", type=Path, help="collect.yaml: the sources to connect to")
    ap.add_argument("--mqtt", help="HOST:PORT of the MQTT broker")
    ap.add_argument("--mqtt-client-id", default="plantloop-collect")
    ap.add_argument("--mqtt-source", default="mqtt:uns")
    ap.add_argument("--mqtt-topic", default=None, help="topic filter (default: <enterprise>/#)")
    ap.add_argument("--max-inflight", type=int, default=MqttSourceConfig.max_inflight)
    ap.add_argument("--batch-size", type=int, default=MqttSourceConfig.batch_size)
    ap.add_argument("--outbox-url", help="SQLAlchemy URL of a database with the MES outbox table")
    ap.add_argument("--outbox-source", default="mes")
    ap.add_argument("--nats", help="NATS server URL: consume the JetStream outbox stream")
    ap.add_argument("--nats-stream", default="PLANTLOOP_EVENTS")
    ap.add_argument("--nats-durable", default="plantloop-collect")
    ap.add_argument("--nats-source", default="nats:events")
    ap.add_argument("--exit-when-idle-s", type=float, default=0.0)
    ap.add_argument(
        "--progress-every-s", type=float, default=0.0, help="print 'LANDED <rows>' (all sources) this often"
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(levelname)s %(message)s")
    plant = load_plant(args.plant) if args.plant else load_reference_plant()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    mqtt = None
    if args.mqtt:
        host, _, port = args.mqtt.rpartition(":")
        mqtt = MqttSourceConfig(
            host=host,
            port=int(port),
            source=args.mqtt_source,
            client_id=args.mqtt_client_id,
            topic_filter=args.mqtt_topic or f"{plant.enterprise.id}/#",
            max_inflight=args.max_inflight,
            batch_size=args.batch_size,
        )
    jetstream = None
    if args.nats:
        from plantloop.collect.connectors.jetstream import JetStreamSourceConfig

        jetstream = JetStreamSourceConfig(
            url=args.nats, stream=args.nats_stream, durable=args.nats_durable, source=args.nats_source
        )
    outbox = SqlOutboxPages(sa.create_engine(args.outbox_url)) if args.outbox_url else None
    settings = Settings(warehouse_path=args.warehouse)
    if args.config:  # the file's sources; command-line MQTT / NATS options replace its sections
        from plantloop.collect.config import load_collect_config

        config = load_collect_config(args.config)
        service = CollectService(
            settings,
            plant,
            outbox=outbox,
            outbox_source=args.outbox_source,
            mqtt=mqtt or (config.mqtt.to_source() if config.mqtt else None),
            opcua=config.opcua_mapping(),
            jetstream=jetstream or (config.jetstream.to_source() if config.jetstream else None),
            legacy=config.legacy.to_source() if config.legacy else None,
        )
    else:
        service = CollectService(
            settings, plant, outbox=outbox, outbox_source=args.outbox_source, mqtt=mqtt, jetstream=jetstream
        )
    if not service.start(wait_subscribed_s=30):
        print("connectors did not confirm their subscriptions within 30 s", file=sys.stderr)
        service.stop()
        return 2
    print("READY", flush=True)
    last_activity, last_seen, last_report = time.monotonic(), -1, 0.0
    while not stop.wait(0.25):
        if args.progress_every_s and time.monotonic() - last_report >= args.progress_every_s:
            last_report = time.monotonic()
            print(f"LANDED {sum(s.landed for s in service.status().sources)}", flush=True)
        if args.exit_when_idle_s <= 0:
            continue
        seen, busy = service.activity()
        if seen != last_seen or busy:
            last_seen, last_activity = seen, time.monotonic()
        elif time.monotonic() - last_activity > args.exit_when_idle_s:
            break
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
