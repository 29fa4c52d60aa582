"""Chaos benchmark: stream events through MQTT and the outbox while killing the ingest worker and the broker.

A generator (simulator-like telemetry, states and events over MQTT; MES events into an outbox table)
streams ``--events`` events while the worker (``python -m plantloop.collect.worker``, a separate process)
is SIGKILLed at ``--kills`` random moments and the broker is restarted ``--broker-restarts`` times. Then the
ODS is reconciled against the generator's ground truth (the ids it produced): lost and duplicated must be 0,
and each source's ledger must satisfy offered = landed + quarantined + duplicates.

    python bench/chaos_ingest.py                       # small default
    python bench/chaos_ingest.py --events 1000000 --kills 20 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402

from plantloop.collect.batch import CandidateBatch  # noqa: E402
from plantloop.collect.connectors.outbox_twins import SqliteOutbox  # noqa: E402
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns  # noqa: E402
from plantloop.kernel.envelope import EventEnvelope  # noqa: E402
from plantloop.mes.masterdata import load_reference_plant  # noqa: E402
from plantloop.sim.transports.mqtt_publisher import UnsPublisher, uns_topic  # noqa: E402

MQTT_SOURCE, OUTBOX_SOURCE = "mqtt:chaos", "mes:chaos"
TAGS = ("temperature_c", "vibration_mm_s", "current_a")


class Broker(Protocol):
    host: str
    port: int

    def restart(self) -> None: ...


def _mqtt_messages(n: int, seed: int) -> list[tuple[str, bytes]]:
    plant = load_reference_plant()
    eq = [e for e in plant.equipment]
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 5, 6, tzinfo=UTC)
    out = []
    for i in range(n):
        path = plant.equipment_paths[eq[i % len(eq)]]
        ts = (t0 + timedelta(milliseconds=i * 7 + rng.randint(-500, 500))).isoformat()  # some out of order
        if i % 20 == 0:
            topic = uns_topic(path, "event", "CycleCompleted")
            body: dict[str, Any] = {"ts": ts, "seq": i, "qty_good": 1}
        elif i % 10 == 0:
            topic = uns_topic(path, "state", "machine_state")
            body = {"ts": ts, "seq": i, "value": rng.choice(["RUNNING", "IDLE", "DOWN"])}
        else:
            topic = uns_topic(path, "telemetry", TAGS[i % 3])
            body = {"ts": ts, "seq": i, "value": round(rng.gauss(50, 5), 3)}
        out.append((topic, json.dumps(body).encode()))
    return out


def _expected_mqtt_ids(messages: list[tuple[str, bytes]]) -> set[str]:
    resolver = UnsResolver(load_reference_plant())
    batch = CandidateBatch(parser=PARSER)
    now = datetime.now(UTC)
    for topic, payload in messages:
        parse_uns(batch, resolver, MQTT_SOURCE, topic, payload, now)
    assert not any(batch.reject_reason), "generator produced invalid messages"
    return {e for e in batch.event_id if e}


def _outbox_envelopes(n: int) -> list[EventEnvelope]:
    t0 = datetime(2026, 1, 5, 6, tzinfo=UTC)
    return [
        EventEnvelope.create(
            type="OperationCompleted",
            source="mes",
            key=("chaos", j),
            occurred_at=t0 + timedelta(seconds=j),
            subject=f"WO-{j // 10:06d}",
            payload={"qty_good": j % 7, "operation_seq": 10},
        )
        for j in range(n)
    ]


class Worker:
    def __init__(self, broker: Broker, warehouse: Path, outbox: Path, log: Path) -> None:
        self.args = [
            sys.executable,
            "-m",
            "plantloop.collect.worker",
            "--warehouse",
            str(warehouse),
            "--mqtt",
            f"{broker.host}:{broker.port}",
            "--mqtt-source",
            MQTT_SOURCE,
            "--mqtt-client-id",
            "plantloop-chaos",
            "--outbox-sqlite",
            str(outbox),
            "--outbox-source",
            OUTBOX_SOURCE,
        ]
        self.log = log
        self.proc: subprocess.Popen[str] | None = None

    def start(self, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [*self.args, *extra], stdout=subprocess.PIPE, stderr=log, text=True, env=env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"worker did not start (exit {self.proc.wait()}); see {self.log}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)


def run_chaos(
    broker: Broker,
    *,
    events: int,
    kills: int,
    broker_restarts: int,
    seed: int = 7,
    workdir: Path | None = None,
    outbox_share: float = 0.2,
    progress: bool = False,
    rate_per_s: float = 5000.0,
) -> dict[str, Any]:
    """Run one chaos experiment against ``broker``; returns counts and the reconciliation."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="plantloop-chaos-"))
    rng = random.Random(seed)
    n_outbox = int(events * outbox_share)
    n_mqtt = events - n_outbox
    messages = _mqtt_messages(n_mqtt, seed)
    envelopes = _outbox_envelopes(n_outbox)
    expected = _expected_mqtt_ids(messages) | {e.id for e in envelopes}
    warehouse, outbox_path = workdir / "warehouse.duckdb", workdir / "outbox.sqlite"
    outbox = SqliteOutbox(outbox_path)
    worker = Worker(broker, warehouse, outbox_path, workdir / "worker.log")
    worker.start()
    publisher = UnsPublisher(broker.host, broker.port, client_id="plantloop-chaos-generator", max_unacked=500)
    published = [0]

    def generate() -> None:
        step = max(1, n_mqtt // max(1, n_outbox // 500 or 1))
        j = 0
        begin = time.monotonic()
        for i, (topic, payload) in enumerate(messages):
            if i % 100 == 0 and (ahead := i / rate_per_s - (time.monotonic() - begin)) > 0:
                time.sleep(ahead)  # paced like a plant, so that kills fall while events stream
            publisher.publish_raw(topic, payload)
            published[0] = i + 1
            if i % step == 0 and j < n_outbox:
                outbox.append(envelopes[j : j + 500])
                j += 500
        if j < n_outbox:
            outbox.append(envelopes[j:])
        published[0] = n_mqtt

    gen = threading.Thread(target=generate, daemon=True)
    started = time.monotonic()
    try:
        done_kills, done_restarts, flushed = _chaos(
            gen, worker, broker, publisher, published, n_mqtt, kills, broker_restarts, rng, progress
        )
        worker.start("--exit-when-idle-s", "3")
        assert worker.proc is not None
        worker.proc.wait(600)
    finally:
        worker.stop()
    elapsed = time.monotonic() - started
    outbox.close()
    return {
        **reconcile(warehouse, expected),
        "events": events,
        "kills": done_kills,
        "broker_restarts": done_restarts,
        "publisher_flushed": flushed,
        "elapsed_s": round(elapsed, 1),
    }


def _chaos(
    gen: threading.Thread,
    worker: Worker,
    broker: Broker,
    publisher: UnsPublisher,
    published: list[int],
    n_mqtt: int,
    kills: int,
    broker_restarts: int,
    rng: random.Random,
    progress: bool,
) -> tuple[int, int, bool]:
    gen.start()
    plan = sorted(
        [(rng.uniform(0.02, 0.97), "kill") for _ in range(kills)]
        + [(rng.uniform(0.1, 0.9), "broker") for _ in range(broker_restarts)]
    )
    done_kills = done_restarts = 0
    for at, what in plan:
        while gen.is_alive() and published[0] < at * n_mqtt:
            time.sleep(0.01)
        if what == "kill":
            worker.kill()
            done_kills += 1
            time.sleep(rng.uniform(0.0, 0.3))
            worker.start()
        else:
            broker.restart()
            done_restarts += 1
        if progress:
            print(f"  {what} at {published[0]}/{n_mqtt} published", file=sys.stderr)
    gen.join()
    flushed = publisher.flush(timeout_s=120)
    publisher.close()
    worker.stop()
    return done_kills, done_restarts, flushed


def reconcile(warehouse: Path, expected: set[str]) -> dict[str, Any]:
    con = duckdb.connect(str(warehouse), read_only=True)
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'ods_%' AND table_type = 'BASE TABLE'"
        ).fetchall()
    ]
    landed: list[str] = []
    for t in tables:
        landed += [
            r[0]
            for r in con.execute(
                f"SELECT CAST(event_id AS VARCHAR) FROM {t} WHERE source IN (?, ?)",
                [MQTT_SOURCE, OUTBOX_SOURCE],
            ).fetchall()
        ]
    ledger = con.execute(
        "SELECT source, sum(offered), sum(landed), sum(quarantined), sum(duplicates) FROM ingest_ledger "
        "GROUP BY source ORDER BY source"
    ).fetchall()
    con.close()
    distinct = set(landed)
    per_source = {
        s: {"offered": int(o), "landed": int(la), "quarantined": int(q), "duplicates": int(d)}
        for s, o, la, q, d in ledger
    }
    return {
        "lost": len(expected - distinct),
        "duplicated": len(landed) - len(distinct & expected),
        "ledger": per_source,
        "ledger_reconciles": all(
            v["offered"] == v["landed"] + v["quarantined"] + v["duplicates"] for v in per_source.values()
        )
        and sum(v["landed"] for v in per_source.values()) == len(landed),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--broker-restarts", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=5000.0, help="MQTT messages per second from the generator")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from tests.servers import MosquittoBroker

    broker = MosquittoBroker()
    broker.start()
    try:
        result = run_chaos(
            broker,
            events=args.events,
            kills=args.kills,
            broker_restarts=args.broker_restarts,
            seed=args.seed,
            progress=not args.json,
            rate_per_s=args.rate,
        )
    finally:
        broker.cleanup()
    print(
        f"events {result['events']}  kills {result['kills']}  broker restarts {result['broker_restarts']}  "
        f"elapsed {result['elapsed_s']} s"
    )
    print(
        f"lost {result['lost']}  duplicated {result['duplicated']}  (expected 0 and 0; ground truth = ids "
        f"the generator produced)  ledger reconciles: {result['ledger_reconciles']}"
    )
    for source, counts in result["ledger"].items():
        print(f"  {source}: {counts}")
    if args.json:
        print(
            json.dumps({k: result[k] for k in ("events", "kills", "broker_restarts", "lost", "duplicated")})
        )


if __name__ == "__main__":
    main()
