"""Data-platform benchmark: (a) freshness of the live path, (b) the plant big-screen queries at scale.

(a) **Freshness.** MES-shaped events (state changes, completions, downtimes of the reference plant's
machines) are landed through the real collect path (``Landing`` → ``OdsStore``: validation, dedupe, ledger,
one DuckDB transaction per batch) at ``--events-per-s`` for ``--seconds``; the live tail (``OdsTail`` →
``LiveMetrics``) folds them. Per event: seconds from its batch's commit to the fold that makes it visible
in the live metrics; p50 / p95. Baseline in the same run: the batch path — a SQLMesh warehouse build over
the same ODS, the time after which a batch-only big screen could show the events.

(b) **Big-screen queries.** A year of a 50-machine plant is generated *inside* DuckDB (vectorized, from
``range``): ``--fact-rows`` unit completions (100 M ≈ one unit per machine every 16 s) in time order, a
downtime fact, and the hourly DWS aggregate built from the facts by the same SQL in both engines. The same
eight big-screen queries (today per line, per hour, per machine in the shift, status board, defects and
alarms of the week, 30-day trend, year to date) run ``--repeats`` times each with a moving "now" on DuckDB
and on PostgreSQL (a real server from ``tests/servers.py``, loaded with COPY, B-tree index on time,
ANALYZE'd). p95 over all executions, per engine; target ≤ 200 ms in DuckDB.

    python bench/warehouse.py --fact-rows 2000000 --seconds 10          # quick
    python bench/warehouse.py --fact-rows 100000000 --seconds 60 --json # the recorded run
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import duckdb  # noqa: E402
import psycopg  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402

from plantloop.collect.batch import CandidateBatch  # noqa: E402
from plantloop.collect.contracts import SourceKind  # noqa: E402
from plantloop.collect.landing import Landing  # noqa: E402
from plantloop.dataplatform.ingest import OdsStore  # noqa: E402
from plantloop.dataplatform.live import LiveMetrics, OdsTail  # noqa: E402
from plantloop.kernel.clock import FakeClock  # noqa: E402
from plantloop.mes.masterdata import PlantDefinition, load_reference_plant  # noqa: E402

console = Console(stderr=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ---- (a) freshness ------------------------------------------------------------------------------------
@dataclass
class Freshness:
    events: int = 0
    seconds: float = 0.0
    lags_s: list[float] = field(default_factory=list)
    baseline_build_s: float = float("nan")

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _events(plant: PlantDefinition, n: int, at: datetime, serial: list[int]) -> CandidateBatch:
    """``n`` MES-shaped events at ``at`` over the plant's machines: state changes, completions, downtimes."""
    batch = CandidateBatch(parser="bench")
    machines = sorted(plant.equipment)
    routings = {m: r for m, r in plant.routings_by_material.items() if r.operations}
    material = sorted(routings)[0]
    op = routings[material].operations[0]
    for _ in range(n):
        serial[0] += 1
        i = serial[0]
        eq = machines[i % len(machines)]
        kind = i % 10
        body: dict[str, Any] = {"equipment_id": eq, "operation_id": f"OP-{i}"}
        if kind < 6:
            body |= {"from_state": "idle", "to_state": "execute" if i % 2 else "idle"}
            type_ = "EquipmentStateChanged"
        elif kind < 9:
            body |= {"material_id": material, "seq": op.seq, "qty_good": 10, "qty_scrap": i % 3}
            body |= {"work_order_id": f"WO-{i}", "started_at": at.isoformat()}
            type_ = "OperationCompleted"
        else:
            body = {"equipment_id": eq, "reason_code": "BRK", "planned": False, "operation_id": None}
            type_ = "DowntimeStarted"
        batch.add(
            event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i}")), entity="events", type=type_,
            occurred_at=at, recorded_at=at, payload_json=json.dumps(body), source_key=str(i),
            equipment_path=plant.equipment_paths[eq], subject=eq,
        )  # fmt: skip
    return batch


def measure_freshness(
    directory: Path, plant: PlantDefinition, rate: int, seconds: float, *, baseline: bool = True
) -> Freshness:
    clock = FakeClock(datetime.now(UTC))  # stamps each batch's ingested_at: the key of its commit time
    store = OdsStore(directory / "live.duckdb", clock=clock)
    landing = Landing.for_plant(store, plant)
    live = LiveMetrics(plant)
    committed: dict[Any, float] = {}  # ingested_at of a batch -> wall time its transaction committed
    folds: list[tuple[Any, float]] = []  # (ingested_at, wall time folded), joined with commits at the end
    result = Freshness()

    def folded(data: Any, at: float) -> None:
        folds.extend((ingested, at) for ingested in data.column("ingested_at").to_pylist())

    reader = duckdb.connect(str(directory / "live.duckdb"))  # the tail's own cursor on the shared instance

    def read(sql: str, params: Any) -> Any:
        return reader.execute(sql, params or []).to_arrow_table()

    tail = OdsTail(read, live, on_fold=folded)
    stop = threading.Event()
    follower = threading.Thread(target=tail.run, args=(stop,), kwargs={"interval_s": 0.01}, daemon=True)
    follower.start()
    serial = [0]
    total = int(rate * seconds)  # offered on a schedule of `rate` per second; a slow landing falls behind
    offered = 0
    started = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"landing {rate} events/s", total=total)
        while offered < total:
            n = min(int(rate * (time.perf_counter() - started)), total) - offered
            if n <= 0:
                time.sleep(0.002)
                continue
            stamp = max(datetime.now(UTC), clock.now() + timedelta(microseconds=1))
            clock.set(stamp)
            landing.land(_events(plant, n, stamp, serial), source="mes", kind=SourceKind.MES)
            committed[stamp] = time.time()  # the clock OdsTail stamps its folds with
            offered += n
            bar.update(task, completed=offered)
    result.seconds = time.perf_counter() - started
    (landed,) = store.query("SELECT count(*) FROM ods_mes__events")[0]  # what really landed, not offered
    result.events = int(landed)
    deadline = time.perf_counter() + 10
    while len(folds) < result.events and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    follower.join()
    reader.close()
    result.lags_s = [at - committed[ingested] for ingested, at in folds if ingested in committed]
    store.close()
    if not baseline:
        return result
    # baseline: the batch path — one warehouse build over the same ODS
    from plantloop.dataplatform.warehouse import Warehouse

    wh = Warehouse(directory / "live.duckdb", plant)
    t0 = time.perf_counter()
    wh.build()
    result.baseline_build_s = time.perf_counter() - t0
    wh.close()
    return result


# ---- (b) big-screen queries ------------------------------------------------------------------------------
YEAR_S = 365 * 86400
FACT_DDL = (
    "CREATE TABLE fact_unit (unit_id BIGINT, equipment_key SMALLINT, line_key SMALLINT, "
    "material_key SMALLINT, work_order_key INTEGER, completed_at TIMESTAMP, cycle_s REAL, "
    "ideal_cycle_s REAL, good BOOLEAN, defect_key SMALLINT)",
    "CREATE TABLE fact_downtime (equipment_key SMALLINT, line_key SMALLINT, reason_key SMALLINT, "
    "started_at TIMESTAMP, duration_s REAL)",
)
# counts as BIGINT in both engines (DuckDB's default HUGEINT sums are slow to scan from a file)
DWS_SQL = (
    "CREATE TABLE dws_unit_hour AS SELECT equipment_key, line_key, date_trunc('hour', completed_at) AS hour, "
    "CAST(count(*) AS BIGINT) AS units, CAST(sum(CASE WHEN good THEN 1 ELSE 0 END) AS BIGINT) AS good, "
    "CAST(sum(ideal_cycle_s) AS DOUBLE PRECISION) AS ideal_s, "
    "CAST(sum(cycle_s) AS DOUBLE PRECISION) AS run_s FROM fact_unit GROUP BY 1, 2, 3"
)
# The big screen: :now is the screen's "now", :day the start of its production day, :shift of its shift.
QUERIES = {
    "lines_today": "SELECT line_key, count(*), sum(CASE WHEN good THEN 1 ELSE 0 END), sum(ideal_cycle_s) "
    "FROM fact_unit WHERE completed_at >= :day AND completed_at < :now GROUP BY line_key ORDER BY line_key",
    "hourly_today": "SELECT line_key, date_trunc('hour', completed_at) AS h, count(*) FROM fact_unit "
    "WHERE completed_at >= :day AND completed_at < :now GROUP BY 1, 2 ORDER BY 1, 2",
    "machines_shift": "SELECT equipment_key, count(*), sum(CASE WHEN good THEN 1 ELSE 0 END), "
    "sum(ideal_cycle_s), sum(cycle_s) FROM fact_unit WHERE completed_at >= :shift AND completed_at < :now "
    "GROUP BY equipment_key ORDER BY equipment_key",
    "status_board": "SELECT equipment_key, max(completed_at), count(*) FROM fact_unit "
    "WHERE completed_at >= :now - INTERVAL '1 hour' AND completed_at < :now GROUP BY 1 ORDER BY 1",
    "defects_week": "SELECT defect_key, count(*) AS n FROM fact_unit WHERE NOT good AND completed_at >= "
    ":now - INTERVAL '7 days' AND completed_at < :now GROUP BY 1 ORDER BY n DESC LIMIT 10",
    "alarms_week": "SELECT reason_key, count(*), sum(duration_s) AS s FROM fact_downtime "
    "WHERE started_at >= :now - INTERVAL '7 days' AND started_at < :now GROUP BY 1 ORDER BY s DESC",
    "trend_30d": "SELECT line_key, date_trunc('day', hour) AS d, sum(units), sum(good) FROM dws_unit_hour "
    "WHERE hour >= :now - INTERVAL '30 days' AND hour < :now GROUP BY 1, 2 ORDER BY 1, 2",
    "year_to_date": "SELECT line_key, sum(units), sum(good), sum(ideal_s) / sum(run_s) FROM dws_unit_hour "
    "WHERE hour < :now GROUP BY 1 ORDER BY 1",
}


def generate_facts(con: duckdb.DuckDBPyConnection, rows: int, start: datetime) -> None:
    """A year of 50 machines (10 lines of 5), in time order, computed by DuckDB from ``range``."""
    step = YEAR_S / rows
    for ddl in FACT_DDL:
        con.execute(ddl)
    con.execute(
        f"""INSERT INTO fact_unit SELECT i, CAST(i % 50 AS SMALLINT), CAST((i % 50) // 5 AS SMALLINT),
          CAST(hash(i // 5000) % 40 AS SMALLINT), CAST(i // 5000 AS INTEGER),
          TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' + to_microseconds(CAST(i * {step * 1e6} AS BIGINT)),
          CAST(12 + (hash(i, 1) % 1000) / 100.0 AS REAL), CAST(12 AS REAL), hash(i, 2) % 100 >= 2,
          CAST(CASE WHEN hash(i, 2) % 100 < 2 THEN hash(i, 3) % 12 END AS SMALLINT)
        FROM range({rows}) t(i)"""
    )
    stops = max(rows // 550, 1)
    con.execute(
        f"""INSERT INTO fact_downtime SELECT CAST(i % 50 AS SMALLINT), CAST((i % 50) // 5 AS SMALLINT),
          CAST(hash(i) % 8 AS SMALLINT),
          TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' + to_microseconds(CAST(i * {YEAR_S / stops * 1e6} AS BIGINT)),
          CAST(60 + hash(i, 1) % 3600 AS REAL) FROM range({stops}) t(i)"""
    )
    con.execute(DWS_SQL)


def _bind(sql: str, now: datetime, dialect: str) -> str:
    day = now.replace(hour=6, minute=0, second=0, microsecond=0)
    day = day if day <= now else day - timedelta(days=1)
    shift = day + timedelta(hours=8 * int((now - day).total_seconds() // (8 * 3600)))
    del dialect  # the SQL is portable: TIMESTAMP literals, date_trunc, INTERVAL, CASE
    for name, value in (("now", now), ("day", day), ("shift", shift)):
        sql = sql.replace(f":{name}", f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'")
    return sql


def run_queries(execute: Any, dialect: str, end: datetime, repeats: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    times: dict[str, list[float]] = {name: [] for name in QUERIES}
    for sql in QUERIES.values():
        execute(_bind(sql, end, dialect))  # warm-up, not counted
    for _ in range(repeats):
        now = end - timedelta(minutes=rng.randrange(0, 24 * 60))
        for name, sql in QUERIES.items():
            t0 = time.perf_counter()
            execute(_bind(sql, now, dialect))
            times[name].append(time.perf_counter() - t0)
    return times


def load_postgres(duck: duckdb.DuckDBPyConnection, url: str, directory: Path) -> None:
    with psycopg.connect(url, autocommit=True) as pg:
        for ddl in FACT_DDL:
            pg.execute(ddl.replace("REAL", "real"))
        for table in ("fact_unit", "fact_downtime"):
            path = directory / f"{table}.csv"
            duck.execute(f"COPY {table} TO '{path}' (HEADER false)")
            with (
                pg.cursor() as cur,
                cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy,
                path.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            path.unlink()
        pg.execute("CREATE INDEX ON fact_unit (completed_at)")
        pg.execute("CREATE INDEX ON fact_downtime (started_at)")
        pg.execute(DWS_SQL)
        pg.execute("CREATE INDEX ON dws_unit_hour (hour)")
        pg.execute("VACUUM ANALYZE")


def measure_queries(directory: Path, rows: int, repeats: int) -> dict[str, Any]:
    from tests.servers import PostgresServer

    end = datetime(2026, 11, 27, 10, 30)
    start = end - timedelta(seconds=YEAR_S)
    duck = duckdb.connect(str(directory / "screen.duckdb"))
    duck.execute("SET threads = 2")
    t0 = time.perf_counter()
    generate_facts(duck, rows, start)
    generated_s = time.perf_counter() - t0
    (fact_rows,) = duck.execute("SELECT count(*) FROM fact_unit").fetchone() or (0,)
    console.print(f"generated {fact_rows:,} fact rows in DuckDB in {generated_s:.1f} s")
    duck_times = run_queries(lambda sql: duck.execute(sql).fetchall(), "duckdb", end, repeats, 7)
    server = PostgresServer()
    server.start()
    try:
        url = server.url.replace("postgresql+psycopg://", "postgresql://")
        t0 = time.perf_counter()
        load_postgres(duck, url, directory)
        loaded_s = time.perf_counter() - t0
        console.print(f"loaded PostgreSQL (COPY, indexes, ANALYZE) in {loaded_s:.1f} s")
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("SET work_mem = '256MB'")
            pg_times = run_queries(lambda sql: pg.execute(sql).fetchall(), "postgres", end, repeats, 7)
    finally:
        server.stop()
        duck.close()
    return {"fact_rows": fact_rows, "duckdb": duck_times, "postgres": pg_times, "generated_s": generated_s,
            "pg_load_s": loaded_s}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events-per-s", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fact-rows", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    ap.add_argument("--only", choices=("freshness", "queries"), default=None, help="run one part")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="plantloop-bench-wh-"))
    directory.mkdir(parents=True, exist_ok=True)
    plant = load_reference_plant()
    figures: dict[str, Any] = {}
    if args.only in (None, "freshness"):
        fresh = measure_freshness(directory, plant, args.events_per_s, args.seconds)
        figures |= {
            "freshness_p50_s": round(pct(fresh.lags_s, 0.5), 4),
            "freshness_p95_s": round(pct(fresh.lags_s, 0.95), 4),
            "events_per_s_achieved": round(fresh.rate, 1),
            "events_folded": len(fresh.lags_s),
            "baseline_batch_build_s": round(fresh.baseline_build_s, 2),
        }
        console.print(
            f"freshness event → live metric: p50 {figures['freshness_p50_s']} s, "
            f"p95 {figures['freshness_p95_s']} s at {figures['events_per_s_achieved']} events/s "
            f"(target {args.events_per_s}); baseline batch build {figures['baseline_batch_build_s']} s"
        )
    if args.only in (None, "queries"):
        screen = measure_queries(directory, args.fact_rows, args.repeats)
        all_duck = [t for ts in screen["duckdb"].values() for t in ts]
        all_pg = [t for ts in screen["postgres"].values() for t in ts]
        figures |= {
            "fact_rows": screen["fact_rows"],
            "query_p95_ms_duckdb": round(pct(all_duck, 0.95) * 1000, 1),
            "query_p95_ms_postgres": round(pct(all_pg, 0.95) * 1000, 1),
            "per_query_p95_ms": {
                name: {e: round(pct(screen[e][name], 0.95) * 1000, 1) for e in ("duckdb", "postgres")}
                for name in QUERIES
            },
            "pg_load_s": round(screen["pg_load_s"], 1),
        }
        console.print(
            f"big screen over {screen['fact_rows']:,} fact rows: p95 {figures['query_p95_ms_duckdb']} ms "
            f"DuckDB vs {figures['query_p95_ms_postgres']} ms PostgreSQL (median DuckDB "
            f"{statistics.median(all_duck) * 1000:.1f} ms)"
        )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
