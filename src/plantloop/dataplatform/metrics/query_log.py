"""The query log: which governed table was read, when, by whom — the input of data asset utilization."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

QUERY_LOG_DDL = """
CREATE TABLE IF NOT EXISTS main.dp_query_log (
  queried_at TIMESTAMPTZ NOT NULL, queried_day DATE NOT NULL, table_name VARCHAR NOT NULL,
  consumer VARCHAR NOT NULL)
"""


def record_queries(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str], consumer: str, at: datetime | None = None
) -> None:
    when = (at or datetime.now(UTC)).astimezone(UTC)
    con.execute(QUERY_LOG_DDL)
    rows = [(when, when.date(), t, consumer) for t in sorted(set(tables))]
    if rows:
        con.executemany("INSERT INTO main.dp_query_log VALUES (?, ?, ?, ?)", rows)
