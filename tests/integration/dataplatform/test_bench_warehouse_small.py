"""A small version of ``bench/warehouse.py`` in the suite: the live path folds every landed event, and the
big-screen queries give the same answers on DuckDB and PostgreSQL (so the timing comparison is fair)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import psycopg
import pytest

from plantloop.mes.masterdata.schema import PlantDefinition
from tests.benches import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("warehouse")


def test_every_event_landed_at_the_target_rate_becomes_visible_in_the_live_metrics(
    bench: ModuleType, tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    result = bench.measure_freshness(tmp_path, reference_plant, 1000, 2.0, baseline=False)
    assert result.events >= 1500
    assert len(result.lags_s) == result.events  # every landed event was folded, none twice
    assert 0 <= bench.pct(result.lags_s, 0.5) < 5.0  # a loose bound: the recorded figure is in docs


def _normal(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        out.append(tuple(round(float(v), 3) if isinstance(v, float | Decimal) else v for v in row))
    return sorted(out, key=repr)


def test_the_big_screen_queries_answer_alike_on_duckdb_and_postgresql(
    bench: ModuleType, tmp_path: Path, postgres_db: str
) -> None:
    from datetime import datetime, timedelta

    end = datetime(2026, 11, 27, 10, 30)
    duck = duckdb.connect()
    bench.generate_facts(duck, 60_000, end - timedelta(seconds=bench.YEAR_S))
    assert duck.execute("SELECT count(*) FROM fact_unit").fetchone() == (60_000,)
    url = postgres_db.replace("postgresql+psycopg://", "postgresql://")
    bench.load_postgres(duck, url, tmp_path)
    with psycopg.connect(url) as pg:
        for name, sql in bench.QUERIES.items():
            now = end - timedelta(hours=3)
            left = duck.execute(bench._bind(sql, now, "duckdb")).fetchall()
            right = pg.execute(bench._bind(sql, now, "postgres")).fetchall()
            assert left, name
            assert _normal(left) == _normal(right), name
