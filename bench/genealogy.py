"""Benchmark of lot genealogy traces over a plant's whole history (target: p95 ≤ 50 ms at 1 million lots).

Builds a synthetic history shaped like the reference plant — products made of two sub-assemblies, each
made of a molded part, each level consuming purchased lots from several suppliers (a purchased lot feeds
about ``--fanout`` produced lots; at every lot change a consumer takes from two lots) — into the MES's own
tables (``plantloop.mes.orm``: lots, genealogy_edges, operations, work_orders) in SQLite, plus a table of
the process parameters reported with each operation (what the warehouse holds). Then, on the same random
query set:

- **baseline 1**: recursive SQL on the MES store — ``WITH RECURSIVE`` over the indexed edge table, joined
  to lots, operations, parameters and work orders (three statements per trace: lots, edges, operations);
- **baseline 2**: the same SQL on the warehouse engine (DuckDB, the tables copied in, no indexes — how a
  data platform typically answers a trace);
- **plantloop**: the genealogy index (``optimize.quality.genealogy_index``) loaded once from the MES tables
  (load time reported), traced with ``GenealogyTracer``.

Backward traces start at random product lots (every component lot, supplier, operation, machine, operator,
shift and parameter); forward traces at random purchased lots (every lot it reached, end lots, shipments).
Both sides must return the same lots and operations (checked on every query).

    .venv/bin/python bench/genealogy.py [--lots 1000000] [--queries 300] [--db PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from genealogy_history import build_history
from rich.progress import Progress

from plantloop.mes.masterdata import load_reference_plant
from plantloop.optimize.quality.genealogy import GenealogyTracer
from plantloop.optimize.quality.sources import index_from_mes_store

BACKWARD_LOTS = """
WITH RECURSIVE walk(lot_id, depth) AS (
  SELECT ?, 0
  UNION
  SELECT e.component_lot_id, w.depth + 1 FROM genealogy_edges e JOIN walk w ON e.produced_lot_id = w.lot_id
  WHERE w.depth < 20
)
SELECT l.id, l.material_id, l.lot_kind, l.supplier_id, l.supplier_lot_ref, l.work_order_id, d.depth
FROM (SELECT lot_id, min(depth) AS depth FROM walk GROUP BY lot_id) d JOIN lots l ON l.id = d.lot_id
"""
BACKWARD_EDGES = """
WITH RECURSIVE walk(lot_id, depth) AS (
  SELECT ?, 0
  UNION
  SELECT e.component_lot_id, w.depth + 1 FROM genealogy_edges e JOIN walk w ON e.produced_lot_id = w.lot_id
  WHERE w.depth < 20
)
SELECT DISTINCT e.produced_lot_id, e.component_lot_id, e.qty, e.operation_id, e.at
FROM walk w JOIN genealogy_edges e ON e.produced_lot_id = w.lot_id
"""
BACKWARD_OPS = """
WITH RECURSIVE walk(lot_id, depth) AS (
  SELECT ?, 0
  UNION
  SELECT e.component_lot_id, w.depth + 1 FROM genealogy_edges e JOIN walk w ON e.produced_lot_id = w.lot_id
  WHERE w.depth < 20
)
SELECT o.id, o.work_order_id, o.equipment_id, o.operator_id, o.started_at, o.completed_at, o.qty_good,
       o.qty_scrap, p.name, p.value
FROM (SELECT DISTINCT lot_id FROM walk) w JOIN lots l ON l.id = w.lot_id
JOIN operations o ON o.work_order_id = l.work_order_id
LEFT JOIN bench_operation_parameters p ON p.operation_id = o.id
"""
FORWARD_LOTS = """
WITH RECURSIVE walk(lot_id, depth) AS (
  SELECT ?, 0
  UNION
  SELECT e.produced_lot_id, w.depth + 1 FROM genealogy_edges e JOIN walk w ON e.component_lot_id = w.lot_id
  WHERE w.depth < 20
)
SELECT l.id, l.material_id, d.depth,
       NOT EXISTS (SELECT 1 FROM genealogy_edges x WHERE x.component_lot_id = l.id) AS is_end,
       wo.sales_order_id, wo.customer
FROM (SELECT lot_id, min(depth) AS depth FROM walk GROUP BY lot_id) d JOIN lots l ON l.id = d.lot_id
LEFT JOIN work_orders wo ON wo.id = l.work_order_id
"""
FORWARD_EDGES = """
WITH RECURSIVE walk(lot_id, depth) AS (
  SELECT ?, 0
  UNION
  SELECT e.produced_lot_id, w.depth + 1 FROM genealogy_edges e JOIN walk w ON e.component_lot_id = w.lot_id
  WHERE w.depth < 20
)
SELECT DISTINCT e.produced_lot_id, e.component_lot_id, e.qty, e.operation_id, e.at
FROM walk w JOIN genealogy_edges e ON e.component_lot_id = w.lot_id
"""


def sql_backward(conn: Any, lot_id: str) -> tuple[set[str], set[str]]:
    lots = conn.execute(BACKWARD_LOTS, (lot_id,)).fetchall()
    conn.execute(BACKWARD_EDGES, (lot_id,)).fetchall()
    ops = conn.execute(BACKWARD_OPS, (lot_id,)).fetchall()
    return {r[0] for r in lots} - {lot_id}, {r[0] for r in ops}


def sql_forward(conn: Any, lot_id: str) -> tuple[set[str], set[str]]:
    lots = conn.execute(FORWARD_LOTS, (lot_id,)).fetchall()
    conn.execute(FORWARD_EDGES, (lot_id,)).fetchall()
    return {r[0] for r in lots} - {lot_id}, {r[0] for r in lots if r[3] and r[0] != lot_id}


def _warehouse_copy(conn: sqlite3.Connection) -> Any:
    """The same tables in an in-memory DuckDB (the warehouse engine), without indexes."""
    import duckdb

    duck = duckdb.connect()
    for table in ("lots", "genealogy_edges", "operations", "bench_operation_parameters", "work_orders"):
        frame = pd.read_sql_query(f"SELECT * FROM {table}", conn)
        duck.register("incoming", frame)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
        duck.unregister("incoming")
    return duck


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 3),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max_ms": round(1000 * ordered[-1], 3),
    }


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run(db: Path, lots_target: int, queries: int, fanout: int, seed: int) -> dict[str, Any]:
    report: dict[str, Any] = {"lots_target": lots_target, "queries": queries, "fanout": fanout}
    if not db.exists():
        started = time.perf_counter()
        report["rows"] = build_history(db, lots_target, fanout, seed)
        report["write_s"] = round(time.perf_counter() - started, 1)
    engine = sa.create_engine(f"sqlite:///{db}")
    conn = sqlite3.connect(db)
    report["rows"] = {
        table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        for table in ("lots", "genealogy_edges", "operations", "bench_operation_parameters")
    }
    started = time.perf_counter()
    parameters = pd.read_sql_query("SELECT operation_id, name, value FROM bench_operation_parameters", conn)
    index = index_from_mes_store(engine, plant=load_reference_plant(), parameters=parameters)
    report["index_load_s"] = round(time.perf_counter() - started, 1)
    tracer = GenealogyTracer(index)
    rng = np.random.default_rng(seed + 1)
    products = [r[0] for r in conn.execute("SELECT id FROM lots WHERE id LIKE 'LOT-WO-_______'")]
    purchased = [r[0] for r in conn.execute("SELECT id FROM lots WHERE lot_kind = 'purchased'")]
    backward = [products[i] for i in rng.integers(len(products), size=queries)]
    forward = [purchased[i] for i in rng.integers(len(purchased), size=queries)]
    duck = _warehouse_copy(conn)
    keys = ("sql_backward", "sql_forward", "duck_backward", "duck_forward", "index_backward", "index_forward")
    timings: dict[str, list[float]] = {k: [] for k in keys}
    duck_queries = min(queries, 60)
    mismatches = 0
    sizes = {"backward_lots": [], "backward_operations": [], "forward_lots": [], "forward_end_lots": []}

    def backward_answer(lot_id: str) -> tuple[Any, ...]:
        trace = tracer.backward(lot_id)
        return {c.lot_id for c in trace.components}, {o.operation_id for o in trace.operations}

    def forward_answer(lot_id: str) -> tuple[Any, ...]:
        trace = tracer.forward(lot_id)
        return {c.lot_id for c in trace.affected}, {c.lot_id for c in trace.end_lots}

    # per direction: its lots, SQL, the index's answer, and the names of the answer's two parts
    directions = (
        ("backward", backward, sql_backward, backward_answer, ("backward_lots", "backward_operations")),
        ("forward", forward, sql_forward, forward_answer, ("forward_lots", "forward_end_lots")),
    )
    with Progress(transient=True) as bar:
        task = bar.add_task("tracing", total=2 * queries)
        for direction, lot_ids, sql, index_answer, parts in directions:
            for lot_id in lot_ids:
                t_sql, sql_answer = _timed(partial(sql, conn, lot_id))
                t_ix, answer = _timed(partial(index_answer, lot_id))
                timings[f"sql_{direction}"].append(t_sql)
                timings[f"index_{direction}"].append(t_ix)
                if len(timings[f"duck_{direction}"]) < duck_queries:
                    t_duck, (duck_lots, _) = _timed(partial(sql, duck, lot_id))
                    timings[f"duck_{direction}"].append(t_duck)
                    mismatches += duck_lots != sql_answer[0]
                mismatches += sum(mine != theirs for mine, theirs in zip(answer, sql_answer, strict=True))
                for name, found in zip(parts, answer, strict=True):
                    sizes[name].append(len(found))
                bar.advance(task)
    conn.close()
    engine.dispose()
    report["latency"] = {k: _percentiles(v) for k, v in timings.items()}
    report["answer_size_mean"] = {k: round(float(np.mean(v)), 1) for k, v in sizes.items()}
    report["mismatches"] = mismatches
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--fanout", type=int, default=20, help="produced lots fed by one purchased lot")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="reuse (or create) this SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "genealogy.sqlite"
        report = run(db, args.lots, args.queries, args.fanout, args.seed)
    lat = report["latency"]
    print(f"history: {report['rows']}  (index load {report['index_load_s']} s)")
    for direction in ("backward", "forward"):
        for key, label in (
            ("index", "plantloop index"),
            ("sql", "recursive SQL, SQLite"),
            ("duck", "recursive SQL, DuckDB"),
        ):
            row = lat[f"{key}_{direction}"]
            print(f"{direction:8s} {label:24s} p50 {row['p50_ms']:9.2f} ms   p95 {row['p95_ms']:9.2f} ms")
    print(f"answer sizes (mean): {report['answer_size_mean']}; mismatches: {report['mismatches']}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
