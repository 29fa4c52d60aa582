"""Fixtures of the governance unit tests: an in-memory DuckDB and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from plantloop.kernel.clock import FakeClock


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
