"""What a DuckDB database holds: whether a table exists and its columns — the one place that asks."""

from __future__ import annotations

import duckdb

from plantloop.dataplatform.governance.errors import UnknownTableError
from plantloop.dataplatform.governance.sql_text import qualified


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        con.execute(f"SELECT * FROM {qualified(table)} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """``{column: DuckDB type}`` of a table or view, in order; UnknownTableError if there is none."""
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {qualified(table)}").fetchall()
    except duckdb.CatalogException:
        raise UnknownTableError(table) from None
    return {str(r[0]): str(r[1]) for r in rows}
