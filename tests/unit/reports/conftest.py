"""Fixtures of the report tests: a DuckDB with small ADS-shaped tables, a fake clock, the shipped catalog."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import duckdb
import pytest

from plantloop.kernel.clock import FakeClock
from plantloop.reports.definitions import ReportCatalog, load_catalog
from plantloop.reports.query import ReportRunner
from plantloop.reports.sample_ads import fill_sample_ads

#: The sample ADS covers 2026-01-01 .. 2026-01-10; "today" is the last day.
START = date(2026, 1, 1)
TODAY = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    fill_sample_ads(connection, start=START, days=10)
    yield connection
    connection.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TODAY)


@pytest.fixture(scope="session")
def catalog() -> ReportCatalog:
    return load_catalog()


@pytest.fixture
def runner(catalog: ReportCatalog, clock: FakeClock) -> ReportRunner:
    return ReportRunner(catalog, clock)
