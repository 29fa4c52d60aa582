"""Chaos benchmark: the simulator streams through MQTT and the MES outbox while the ingest worker is SIGKILLed
and the broker restarted; afterwards the ODS is reconciled against what the simulator sent.

The simulator (seeded SimPy twin of the reference plant) drives the real MES through its message bus on a
SQLite file — every MES event goes to the transactional outbox — and publishes its machine telemetry to
Unified-Namespace topics at QoS 1 through a private mosquitto (``sim.transports.uns_sink``), paced like a
plant. One message in ``--late-every`` is held back and sent ``--late-by`` messages later (late and out of
order on purpose). The ingest worker (``python -m plantloop.collect.worker``, a separate process, the same
``CollectService`` the demo runs) lands both sources into one DuckDB ODS. It is SIGKILLed at ``--kills``
random moments and the broker is restarted ``--broker-restarts`` times while events stream.

Ground truth is what was sent: the id of every published message (the same deterministic id the connector
derives) and every row of the MES outbox. ``lost`` = sent but not in the ODS; ``duplicated`` = rows in the
ODS beyond one per sent event. Each source's ledger must satisfy offered = landed + quarantined +
duplicates, and its landed count must equal its rows in the ODS. Late events must all be there, and the
ODS must be readable in occurred_at order.

    python bench/chaos_ingest.py                       # small default (~20k events)
    python bench/chaos_ingest.py --events 1000000 --kills 20 --broker-restarts 2 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from plantloop.bootstrap import build_container  # noqa: E402
from plantloop.collect.batch import CandidateBatch  # noqa: E402
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns  # noqa: E402
from plantloop.kernel.settings import Settings  # noqa: E402
from plantloop.mes.gateway import BusGateway  # noqa: E402
from plantloop.mes.masterdata import load_reference_plant  # noqa: E402
from plantloop.sim.run import run_simulation  # noqa: E402
from plantloop.sim.scenario import ScenarioConfig  # noqa: E402
from plantloop.sim.telemetry import SIGNALS  # noqa: E402
from plantloop.sim.transports.mqtt_publisher import UnsPublisher  # noqa: E402
from plantloop.sim.transports.uns_sink import UnsTelemetrySink  # noqa: E402

MQTT_SOURCE, OUTBOX_SOURCE = "mqtt:chaos", "mes:chaos"
MES_EVENTS_PER_DAY = 575  # reference plant, default scenario (measured; only used to size the run)


class Broker(Protocol):
    host: str
    port: int

    def restart(self) -> None: ...


class LatePublisher:
    """Sends every ``every``-th message ``by`` messages late (held back, then sent out of order)."""

    def __init__(self, publisher: UnsPublisher, *, every: int, by: int) -> None:
        self.publisher, self.every, self.by = publisher, every, by
        self.held: deque[tuple[int, str, bytes]] = deque()
        self.count = self.late = 0
        self.sent: list[tuple[str, bytes]] = []  # ground truth: everything handed to the broker

    def publish_raw(self, topic: str, payload: bytes) -> None:
        self.count += 1
        if self.every and self.count % self.every == 0:
            self.held.append((self.count + self.by, topic, payload))
            self.late += 1
        else:
            self._send(topic, payload)
        while self.held and self.held[0][0] <= self.count:
            _, t, p = self.held.popleft()
            self._send(t, p)

    def flush_held(self) -> None:
        while self.held:
            _, t, p = self.held.popleft()
            self._send(t, p)

    def _send(self, topic: str, payload: bytes) -> None:
        self.publisher.publish_raw(topic, payload)
        self.sent.append((topic, payload))


class Worker:
    def __init__(self, broker: Broker, warehouse: Path, mes_db: Path, log: Path) -> None:
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
            "--outbox-url",
            f"sqlite:///{mes_db}",
            "--outbox-source",
            OUTBOX_SOURCE,
        ]
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0
        self.landed = 0  # rows landed so far, all sources (reported by the worker from its ledger)

    def start(self, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [*self.args, "--progress-every-s", "0.5", *extra],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"worker did not start (exit {self.proc.wait()}); see {self.log}")
        self.starts += 1
        threading.Thread(target=self._follow, args=(self.proc,), daemon=True).start()

    def _follow(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("LANDED "):
                self.landed = int(line.split()[1])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(120)


def plan_size(events: int) -> tuple[float, float]:
    """Simulated days and telemetry rate so that MQTT + outbox ≈ ``events`` (the outbox share grows with
    the days: about a week of plant at 1M events)."""
    days = max(1.0, min(14.0, round(events / 150_000)))
    telemetry = max(1_000, events - int(days * MES_EVENTS_PER_DAY))
    n_signals = len(load_reference_plant().equipment) * len(SIGNALS)
    return days, telemetry / (n_signals * days * 86_400)


def run_chaos(
    broker: Broker,
    *,
    events: int,
    kills: int,
    broker_restarts: int,
    seed: int = 7,
    workdir: Path | None = None,
    rate_per_s: float = 5000.0,
    late_every: int = 97,
    late_by: int = 3000,
    progress: bool = False,
) -> dict[str, Any]:
    """Run one chaos experiment against ``broker``; returns counts and the reconciliation."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="plantloop-chaos-"))
    rng = random.Random(seed)
    plant = load_reference_plant()
    days, hz = plan_size(events)
    settings = Settings(data_dir=workdir / "mes")
    container = build_container(settings, plant=plant)
    mes_db = workdir / "mes" / "mes.db"
    warehouse = workdir / "warehouse.duckdb"
    worker = Worker(broker, warehouse, mes_db, workdir / "worker.log")
    worker.start()
    publisher = UnsPublisher(broker.host, broker.port, client_id="plantloop-chaos-sim", max_unacked=2000)
    late = LatePublisher(publisher, every=late_every, by=late_by)
    sink = UnsTelemetrySink(late, plant.equipment_paths, pace_per_s=rate_per_s)
    expected_mqtt = int(hz * days * 86_400) * len(plant.equipment) * len(SIGNALS)
    # A command the MES refuses is counted by the simulator, not raised: the run goes on like a plant.
    config = ScenarioConfig(name="chaos", seed=seed, days=days, telemetry_hz=hz, strict_gateway=False)
    gateway = BusGateway(container.bus, container.queries)
    failed: list[BaseException] = []

    def simulate() -> None:
        try:
            with gateway.group_commit():
                run_simulation(config, gateway, sink, plant=plant)
            late.flush_held()
        except BaseException as exc:  # the chaos loop stops on it instead of waiting for rows
            failed.append(exc)
            raise

    sim = threading.Thread(target=simulate, name="simulator", daemon=True)
    started = time.monotonic()
    try:
        sim.start()
        done_kills, done_restarts, after_stream = _chaos(
            worker, broker, expected_mqtt, kills, broker_restarts, rng, progress, failed, sim.is_alive
        )
        sim.join()
        if failed:
            raise RuntimeError("the simulator failed") from failed[0]
        flushed = publisher.flush(timeout_s=300)
        publisher.close()
        worker.stop()
        worker.start("--exit-when-idle-s", "3")  # the last run: until everything sent has landed
        assert worker.proc is not None
        worker.proc.wait(1800)
    finally:
        worker.stop()
        container.close()
    elapsed = time.monotonic() - started
    return {
        **reconcile(warehouse, mes_db, late.sent, plant_late=late.late),
        "events": len(late.sent) + _outbox_count(mes_db),
        "mqtt_events": len(late.sent),
        "outbox_events": _outbox_count(mes_db),
        "sim_days": days,
        "kills": done_kills,
        "broker_restarts": done_restarts,
        "moments_after_stream": after_stream,
        "worker_starts": worker.starts,
        "publisher_flushed": flushed,
        "elapsed_s": round(elapsed, 1),
    }


def _chaos(
    worker: Worker,
    broker: Broker,
    expected: int,
    kills: int,
    broker_restarts: int,
    rng: random.Random,
    progress: bool,
    failed: list[BaseException],
    streaming: Callable[[], bool],
    stall_s: float = 120.0,
    settled_s: float = 3.0,
) -> tuple[int, int, int]:
    """Kill the worker and restart the broker at random fractions of what must land, while it lands.

    Each moment waits until the new process has landed something. When the simulator has finished and
    nothing has landed for ``settled_s`` (everything sent is in: a short run can get there before its last
    moments), the remaining moments happen anyway and are counted as after the stream (third value)."""
    plan = sorted(
        [(rng.uniform(0.02, 0.95), "kill") for _ in range(kills)]
        + [(rng.uniform(0.1, 0.9), "broker") for _ in range(broker_restarts)]
    )
    done_kills = done_restarts = after_stream = 0
    began, floor = time.monotonic(), -1
    for at, what in plan:
        last, since = worker.landed, time.monotonic()
        # a new moment each time: after a restart, first let the new process land something
        while worker.landed < at * expected or worker.landed <= floor:
            if failed:
                return done_kills, done_restarts, after_stream
            if worker.landed != last:
                last, since = worker.landed, time.monotonic()
            elif not streaming() and time.monotonic() - since > settled_s:
                after_stream += 1
                break
            elif time.monotonic() - since > stall_s:
                raise RuntimeError(f"nothing landed for {stall_s} s at {last:,} rows; see {worker.log}")
            time.sleep(0.01)
        if progress:
            print(
                f"  {time.monotonic() - began:6.1f} s  {what:6} at {worker.landed:>9,}/{expected:,} landed",
                file=sys.stderr,
            )
        if what == "kill":
            worker.kill()
            done_kills += 1
            time.sleep(rng.uniform(0.0, 0.5))
            worker.start()
        else:
            broker.restart()
            done_restarts += 1
        floor = worker.landed
    return done_kills, done_restarts, after_stream


def _outbox_count(mes_db: Path) -> int:
    with sqlite3.connect(mes_db) as con:
        return int(con.execute("SELECT count(*) FROM outbox").fetchone()[0])


def _expected_ids(sent: list[tuple[str, bytes]], mes_db: Path) -> pa.Table:
    resolver = UnsResolver(load_reference_plant())
    batch = CandidateBatch(parser=PARSER)
    now = datetime.now(UTC)
    for topic, payload in sent:
        parse_uns(batch, resolver, MQTT_SOURCE, topic, payload, now)
    assert not any(batch.reject_reason), "the simulator sent a message the connector rejects"
    with sqlite3.connect(mes_db) as con:
        outbox = [r[0] for r in con.execute("SELECT id FROM outbox")]
    return pa.table(
        {
            "event_id": pa.array([*batch.event_id, *outbox], pa.string()),
            "source": pa.array([MQTT_SOURCE] * len(batch) + [OUTBOX_SOURCE] * len(outbox), pa.string()),
        }
    )


def reconcile(
    warehouse: Path, mes_db: Path, sent: list[tuple[str, bytes]], *, plant_late: int
) -> dict[str, Any]:
    expected = _expected_ids(sent, mes_db)
    con = duckdb.connect(str(warehouse), read_only=True)
    con.register("expected", expected)
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'ods\\_%' ESCAPE '\\' AND table_type = 'BASE TABLE'"
        ).fetchall()
    ]
    con.execute(
        "CREATE TEMP TABLE landed AS "
        + " UNION ALL ".join(
            f"SELECT CAST(event_id AS VARCHAR) AS event_id, source, occurred_at, equipment_path, subject, "
            f"rowid AS pos, '{t}' AS tbl FROM {t} WHERE source IN ('{MQTT_SOURCE}', '{OUTBOX_SOURCE}')"
            for t in tables
        )
    )
    lost = con.execute("SELECT count(*) FROM expected e ANTI JOIN landed l USING (event_id)").fetchone()
    rows, distinct = con.execute("SELECT count(*), count(DISTINCT event_id) FROM landed").fetchone() or (0, 0)
    phantom = con.execute("SELECT count(*) FROM landed l ANTI JOIN expected e USING (event_id)").fetchone()
    # Rows that arrived after a row of the same signal with a later occurred_at: kept, not dropped.
    out_of_order = con.execute(
        "SELECT count(*) FROM (SELECT occurred_at < max(occurred_at) OVER (PARTITION BY tbl, "
        "equipment_path, subject ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS late "
        "FROM landed) WHERE late"
    ).fetchone()
    ordered = con.execute(
        "SELECT bool_and(occurred_at >= prev) FROM (SELECT occurred_at, lag(occurred_at) OVER () AS prev "
        "FROM (SELECT occurred_at FROM landed ORDER BY occurred_at, event_id)) WHERE prev IS NOT NULL"
    ).fetchone()
    ledger = con.execute(
        "SELECT source, sum(offered), sum(landed), sum(quarantined), sum(duplicates) FROM ingest_ledger "
        "GROUP BY source ORDER BY source"
    ).fetchall()
    per_table = dict(con.execute("SELECT source, count(*) FROM landed GROUP BY source").fetchall())
    con.close()
    per_source = {
        s: {"offered": int(o), "landed": int(la), "quarantined": int(q), "duplicates": int(d)}
        for s, o, la, q, d in ledger
    }
    return {
        "lost": int(lost[0]) if lost else -1,
        "duplicated": int(rows) - int(distinct),
        "phantom": int(phantom[0]) if phantom else -1,
        "late_injected": plant_late,
        "arrived_out_of_order_kept": int(out_of_order[0]) if out_of_order else 0,
        "read_in_occurred_at_order": bool(ordered[0]) if ordered else False,
        "ledger": per_source,
        "ledger_reconciles": all(
            v["offered"] == v["landed"] + v["quarantined"] + v["duplicates"]
            and v["landed"] == per_table.get(s, 0)
            for s, v in per_source.items()
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--broker-restarts", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=5000.0, help="MQTT messages per second from the simulator")
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
        f"events {result['events']:,} ({result['mqtt_events']:,} MQTT telemetry, {result['outbox_events']:,} "
        f"MES outbox, {result['sim_days']} simulated days)  kills {result['kills']}  "
        f"broker restarts {result['broker_restarts']} ({result['moments_after_stream']} of the moments after "
        f"the stream had ended)  elapsed {result['elapsed_s']} s"
    )
    print(
        f"lost {result['lost']}  duplicated {result['duplicated']}  phantom {result['phantom']}  "
        f"(expected 0, 0, 0; ground truth = ids of what the simulator sent)  "
        f"ledger reconciles: {result['ledger_reconciles']}"
    )
    print(
        f"late sent on purpose {result['late_injected']:,}; rows that arrived after a later reading of the "
        f"same signal and were kept {result['arrived_out_of_order_kept']:,}; "
        f"read back in occurred_at order: {result['read_in_occurred_at_order']}"
    )
    for source, counts in result["ledger"].items():
        print(f"  {source}: {counts}")
    if args.json:
        keys = (
            "events",
            "mqtt_events",
            "outbox_events",
            "lost",
            "duplicated",
            "phantom",
            "ledger_reconciles",
            "kills",
            "broker_restarts",
            "moments_after_stream",
            "worker_starts",
            "late_injected",
            "read_in_occurred_at_order",
            "elapsed_s",
        )
        landed = sum(counts["landed"] for counts in result["ledger"].values())
        rate = round(result["events"] / result["elapsed_s"], 1) if result["elapsed_s"] else 0.0
        print(json.dumps({k: result[k] for k in keys} | {"landed": landed, "events_per_s": rate}))


if __name__ == "__main__":
    main()
