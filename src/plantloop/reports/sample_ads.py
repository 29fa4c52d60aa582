"""ADS-shaped sample tables: the reporting tables of the warehouse (``dw.ads_*``, same names, columns and
types as the SQLMesh models build), filled with seeded, internally consistent numbers.

For unit tests and the export benchmark, which need reporting tables without building the warehouse.
The integration test ``tests/integration/reports/test_reports_on_warehouse.py`` checks that these columns
are exactly the built warehouse's, so the two cannot drift apart unnoticed. Ratios are derived from the
components the same way the ADS models derive them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

SCHEMA = "dw"

DDL: dict[str, str] = {
    "ads_plant_overview": (
        "line_id VARCHAR, day DATE, planned_time_s DOUBLE, idle_time_s DOUBLE, run_time_s DOUBLE, "
        "unplanned_downtime_s DOUBLE, "
        "ideal_output_time_s DOUBLE, qty_good BIGINT, qty_scrap BIGINT, qty_total BIGINT, failures BIGINT, "
        "availability DOUBLE, performance DOUBLE, quality_rate DOUBLE, oee DOUBLE, orders_completed BIGINT, "
        "orders_on_time BIGINT"
    ),
    "ads_oee_equipment_shift": (
        "equipment_id VARCHAR, work_center_id VARCHAR, line_id VARCHAR, shift_date DATE, shift_id VARCHAR, "
        "shift_start_at TIMESTAMP, shift_end_at TIMESTAMP, calendar_time_s DOUBLE, planned_time_s DOUBLE, "
        "planned_downtime_s DOUBLE, idle_time_s DOUBLE, unplanned_downtime_s DOUBLE, run_time_s DOUBLE, "
        "ideal_output_time_s DOUBLE, qty_good BIGINT, qty_scrap BIGINT, qty_total BIGINT, operations BIGINT, "
        "failures BIGINT, repair_time_s DOUBLE, stoppages BIGINT, stoppage_time_s DOUBLE, "
        "availability DOUBLE, performance DOUBLE, quality_rate DOUBLE, oee DOUBLE"
    ),
    "ads_order_delivery": (
        "work_order_id VARCHAR, material_id VARCHAR, line_id VARCHAR, status VARCHAR, qty BIGINT, "
        "qty_good BIGINT, qty_scrap BIGINT, created_at TIMESTAMP, released_at TIMESTAMP, "
        "completed_at TIMESTAMP, due_at TIMESTAMP, completed_date DATE, operations_completed BIGINT, "
        "lead_time_s DOUBLE, on_time BOOLEAN, delay_s DOUBLE"
    ),
    "ads_quality_pareto": (
        "line_id VARCHAR, defect_code VARCHAR, qty BIGINT, pareto_rank BIGINT, share DOUBLE, "
        "cumulative_share DOUBLE"
    ),
}

LINES = ("FAB", "L1", "L2", "L3")
SHIFTS = (("A", 22), ("B", 6), ("C", 14))  # shift id and start hour in UTC (06/14/22 Asia/Shanghai)
PRODUCTS = {"FAB": "SA-KBODY", "L1": "P-KET-01", "L2": "P-BLE-01", "L3": "P-FAN-01"}
DEFECTS = ("D-CRACK", "D-LEAK", "D-ELEC", "D-NOISE", "D-COSM", "D-DIM")
SHIFT_S = 8 * 3600.0


def create_ads_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the (empty) ADS tables in schema ``dw``, replacing any existing ones."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for name, columns in DDL.items():
        conn.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{name} ({columns})")


def _ratios(planned: float, run: float, ideal: float, good: int, total: int) -> tuple[Any, ...]:
    availability = run / planned if planned > 0 else None
    performance = ideal / run if run > 0 else None
    quality = good / total if total > 0 else None
    oee = (ideal / planned) * (good / total) if planned > 0 and total > 0 else (0.0 if planned > 0 else None)
    return availability, performance, quality, oee


def fill_sample_ads(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: date,
    days: int = 14,
    seed: int = 7,
    lines: Sequence[str] = LINES,
    machines_per_line: int = 2,
) -> None:
    """Create the ADS tables and fill ``days`` days from ``start`` (deterministic per ``seed``).

    Per line and day: ``machines_per_line`` machines × 3 shifts; one work order per line and day, due at
    16:00 UTC, the last two days still open; plus the defect Pareto over the whole period."""
    rng = random.Random(seed)
    create_ads_tables(conn)
    shifts: list[tuple[Any, ...]] = []
    overview: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    defects: dict[tuple[str, str], int] = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        for line in lines:
            sums = [0.0, 0.0, 0.0, 0.0, 0.0]  # planned, run, unplanned, ideal, idle
            counts = [0, 0, 0]  # good, scrap, failures
            for m in range(machines_per_line):
                equipment = f"{line}-EQ{m + 1}"
                for shift_id, hour in SHIFTS:
                    begin = datetime(day.year, day.month, day.day, hour) - timedelta(
                        days=1 if hour == 22 else 0
                    )
                    planned_dt = rng.choice((0.0, 0.0, 1800.0))
                    idle = rng.choice((0.0, 0.0, 900.0))  # no work: not a loss (ISO 22400)
                    unplanned = rng.uniform(0, 5400)
                    planned = SHIFT_S - planned_dt - idle
                    run = max(planned - unplanned, 0.0)
                    ideal = run * rng.uniform(0.7, 0.98)
                    total = rng.randint(80, 160)
                    scrap = rng.randint(0, 8)
                    good = total - scrap
                    failures = 1 if unplanned > 3600 else 0
                    shifts.append(
                        (equipment, f"{line}-WC", line, day, shift_id, begin, begin + timedelta(hours=8),
                         SHIFT_S, planned, planned_dt, idle, unplanned, run, ideal, good, scrap, total,
                         rng.randint(3, 9), failures, unplanned if failures else 0.0, rng.randint(0, 4),
                         rng.uniform(0, 600), *_ratios(planned, run, ideal, good, total))
                    )  # fmt: skip
                    for i, v in enumerate((planned, run, unplanned, ideal, idle)):
                        sums[i] += v
                    counts[0] += good
                    counts[1] += scrap
                    counts[2] += failures
                    if scrap:
                        code = DEFECTS[rng.randrange(len(DEFECTS))]
                        defects[(line, code)] = defects.get((line, code), 0) + scrap
            done = offset < days - 2
            late_s = rng.uniform(-14400, 14400)
            on_time = done and late_s <= 0
            overview.append(
                (line, day, sums[0], sums[4], sums[1], sums[2], sums[3], counts[0], counts[1],
                 counts[0] + counts[1], counts[2],
                 *_ratios(sums[0], sums[1], sums[3], counts[0], counts[0] + counts[1]),
                 1 if done else 0, 1 if on_time else 0)
            )  # fmt: skip
            qty = rng.randint(800, 1200)
            due = datetime(day.year, day.month, day.day, 16)
            created = due - timedelta(days=2)
            completed = due + timedelta(seconds=late_s) if done else None
            good_qty = int(qty * rng.uniform(0.9, 1.0)) if done else int(qty * rng.uniform(0, 0.6))
            orders.append(
                (f"WO-{day:%Y%m%d}-{line}", PRODUCTS.get(line, "P-KET-01"), line,
                 "completed" if done else "in_progress", qty, good_qty, qty - good_qty if done else 0,
                 created, created, completed, due, completed.date() if completed else None,
                 5 if done else 2, (completed - created).total_seconds() if completed else None,
                 on_time if done else None, late_s if done else None)
            )  # fmt: skip
    pareto: list[tuple[Any, ...]] = []
    for scope in [*lines, "*"]:
        totals: dict[str, int] = {}
        for (line, code), qty in defects.items():
            if scope in ("*", line):
                totals[code] = totals.get(code, 0) + qty
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        grand = sum(totals.values()) or 1
        running = 0
        for rank, (code, qty) in enumerate(ranked, start=1):
            running += qty
            pareto.append((scope, code, qty, rank, qty / grand, running / grand))
    for name, rows in (
        ("ads_oee_equipment_shift", shifts),
        ("ads_plant_overview", overview),
        ("ads_order_delivery", orders),
        ("ads_quality_pareto", pareto),
    ):
        insert_rows(conn, f"{SCHEMA}.{name}", rows)


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` column-wise through Arrow (``executemany`` costs a round trip per row)."""
    if not rows:
        return
    columns = [pa.array(list(values)) for values in zip(*rows, strict=True)]
    batch = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
    conn.register("sample_ads_batch", batch)
    try:
        conn.execute(f"INSERT INTO {table} SELECT * FROM sample_ads_batch")
    finally:
        conn.unregister("sample_ads_batch")


def fill_many_orders(conn: duckdb.DuckDBPyConnection, rows: int, *, start: date, seed: int = 7) -> None:
    """``rows`` work orders in ``dw.ads_order_delivery`` generated inside DuckDB (for the export benchmark:
    a million rows in about a second, without building them in Python). Deterministic per ``seed``."""
    create_ads_tables(conn)
    base = datetime(start.year, start.month, start.day, tzinfo=UTC).replace(tzinfo=None)
    conn.execute(
        f"""
        INSERT INTO {SCHEMA}.ads_order_delivery
        WITH g AS (
          SELECT i, hash(i, $seed) AS h FROM range($rows) t(i)
        ), o AS (
          SELECT i, h,
                 ['FAB', 'L1', 'L2', 'L3'][1 + (h % 4)::INT] AS line_id,
                 80 + (h // 7) % 900 AS qty,
                 $base::TIMESTAMP + to_seconds((i * 37) % (86400 * 60)) AS due_at,
                 ((h // 13) % 28800)::DOUBLE - 14400 AS delay_s,
                 (h // 17) % 10 < 8 AS done
          FROM g
        )
        SELECT 'WO-' || lpad(i::VARCHAR, 8, '0'), ['SA-KBODY', 'P-KET-01', 'P-BLE-01', 'P-FAN-01'][1 + (h % 4)::INT],
               line_id, CASE WHEN done THEN 'completed' ELSE 'in_progress' END, qty,
               CASE WHEN done THEN qty - (h // 19) % 5 ELSE qty // 2 END, CASE WHEN done THEN (h // 19) % 5 ELSE 0 END,
               due_at - INTERVAL 2 DAY, due_at - INTERVAL 2 DAY,
               CASE WHEN done THEN due_at + to_seconds(delay_s) END,
               due_at, CASE WHEN done THEN CAST(due_at + to_seconds(delay_s) AS DATE) END, 5,
               CASE WHEN done THEN 172800 + delay_s END, CASE WHEN done THEN delay_s <= 0 END,
               CASE WHEN done THEN delay_s END
        FROM o
        """,  # noqa: E501
        {"rows": rows, "seed": seed, "base": base},
    )
