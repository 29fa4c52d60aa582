"""ADS-shaped demo tables: the five reporting tables the reports read, filled with seeded plausible data.

For tests, the export benchmark and demos before the warehouse has built the real ADS layer. The
column names here are the contract the shipped report SQL assumes; the warehouse's ADS models should
produce the same (or the report YAML is adjusted in one place).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

DDL: dict[str, str] = {
    "ads_plant_overview": (
        "day DATE, line_id VARCHAR, product_id VARCHAR, qty_planned BIGINT, qty_good BIGINT, "
        "qty_scrap BIGINT, downtime_s DOUBLE, oee DOUBLE"
    ),
    "ads_oee_equipment_shift": (
        "day DATE, shift VARCHAR, line_id VARCHAR, equipment_id VARCHAR, planned_s DOUBLE, run_s DOUBLE, "
        "downtime_s DOUBLE, availability DOUBLE, performance DOUBLE, quality DOUBLE, oee DOUBLE"
    ),
    "ads_order_delivery": (
        "work_order_id VARCHAR, product_id VARCHAR, line_id VARCHAR, qty_ordered BIGINT, qty_good BIGINT, "
        "due_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, lateness_s DOUBLE"
    ),
    "ads_quality_pareto": (
        "day DATE, line_id VARCHAR, product_id VARCHAR, shift VARCHAR, defect_code VARCHAR, qty_scrap BIGINT"
    ),
    "ads_downtime_reason": (
        "day DATE, line_id VARCHAR, shift VARCHAR, equipment_id VARCHAR, reason_code VARCHAR, "
        "stop_count BIGINT, downtime_s DOUBLE"
    ),
}

LINES = ("FAB", "L1", "L2", "L3")
SHIFTS = ("A", "B", "C")
PRODUCTS = ("KETTLE", "BLENDER", "FAN", "HEATER")
DEFECTS = ("SCRATCH", "DENT", "LEAK", "WIRING", "LABEL")
REASONS = ("BREAKDOWN", "SETUP", "NO_MATERIAL", "QUALITY_CHECK", "MINOR_STOP")


def create_ads_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the (empty) ADS tables, replacing any existing ones."""
    for name, columns in DDL.items():
        conn.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")


def fill_sample_ads(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: date,
    days: int = 14,
    seed: int = 7,
    lines: Sequence[str] = LINES,
) -> None:
    """Create the ADS tables and fill ``days`` days from ``start`` for ``lines`` (deterministic per seed)."""
    rng = random.Random(seed)
    create_ads_tables(conn)
    overview: list[tuple[Any, ...]] = []
    oee: list[tuple[Any, ...]] = []
    pareto: list[tuple[Any, ...]] = []
    downtime: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for li, line in enumerate(lines):
            product = PRODUCTS[(li + offset) % len(PRODUCTS)]
            planned = rng.randint(800, 1200)
            good = int(planned * rng.uniform(0.8, 1.0))
            scrap = rng.randint(0, 40)
            overview.append(
                (day, line, product, planned, good, scrap, rng.uniform(0, 7200), rng.uniform(0.5, 0.9))
            )
            for shift in SHIFTS:
                for eq in range(2):
                    a, p, q = rng.uniform(0.7, 1), rng.uniform(0.7, 1), rng.uniform(0.9, 1)
                    oee.append((day, shift, line, f"{line}-EQ{eq + 1}", 28800.0, 28800.0 * a,
                                28800.0 * (1 - a), a, p, q, a * p * q))  # fmt: skip
                for defect in DEFECTS:
                    if rng.random() < 0.6:
                        pareto.append((day, line, product, shift, defect, rng.randint(1, 15)))
                for reason in REASONS:
                    if rng.random() < 0.5:
                        stops = rng.randint(1, 6)
                        downtime.append(
                            (day, line, shift, f"{line}-EQ1", reason, stops, stops * rng.uniform(60, 1800))
                        )
            due_at = datetime(day.year, day.month, day.day, 16, tzinfo=UTC)
            lateness_s = rng.uniform(-14400, 14400)
            done = offset < days - 2
            orders.append(
                (f"WO-{day:%Y%m%d}-{line}", product, line, planned, good, due_at,
                 due_at + timedelta(seconds=lateness_s) if done else None,
                 max(lateness_s, 0.0) if done else 0.0)
            )  # fmt: skip
    for name, rows in (
        ("ads_plant_overview", overview),
        ("ads_oee_equipment_shift", oee),
        ("ads_quality_pareto", pareto),
        ("ads_downtime_reason", downtime),
        ("ads_order_delivery", orders),
    ):
        if rows:
            # Column-wise through Arrow: executemany costs a round trip per row.
            columns = [pa.array(list(values)) for values in zip(*rows, strict=True)]
            batch = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
            conn.register("sample_ads_batch", batch)
            conn.execute(f"INSERT INTO {name} SELECT * FROM sample_ads_batch")
            conn.unregister("sample_ads_batch")
