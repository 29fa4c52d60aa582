"""Run a report against DuckDB with a row scope: compile its SQL, bind its parameters, stream its rows.

The row scope is the set of line ids a user may see (``None`` = everything). It is not optional for
the report author: every ``{{table}}`` placeholder becomes ``(SELECT * FROM <table> WHERE
<scope_column> IN $scope_lines)``, so aggregates, lookups and window functions only ever see scoped rows.
Parameters, including the scope, are DuckDB bound parameters — request text never becomes SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.errors import InvalidInput
from plantloop.reports.definitions import (
    PARAM_REF,
    TABLE_PLACEHOLDER,
    InvalidReportParameter,
    ReportCatalog,
    ReportDefinition,
    bind_parameters,
)

Scope = frozenset[str] | set[str] | None
DEFAULT_CHUNK_ROWS = 10_000
MAX_PAGE_ROWS = 5_000


class ReportQueryError(InvalidInput):
    """The report's SQL failed against the warehouse (e.g. an ADS table or column is missing)."""

    code = "report_query_failed"


def compile_sql(catalog: ReportCatalog, report: ReportDefinition, text: str, scope: Scope) -> str:
    """``text`` with each ``{{table}}`` replaced by its physical table, filtered to ``scope``."""

    def table(match: Any) -> str:
        physical = ".".join(f'"{part}"' for part in catalog.tables[match.group(1)].split("."))
        if scope is None or report.scope_column is None:
            return physical
        return (
            f'(SELECT * FROM {physical} WHERE "{report.scope_column}" '
            f"IN (SELECT UNNEST($scope_lines::VARCHAR[])))"
        )

    if scope is not None and report.scope_column is None:
        raise InvalidInput(f"report {report.id!r} declares no scope column and cannot be run with a scope")
    return TABLE_PLACEHOLDER.sub(table, text)


def _params_for(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the parameters ``sql`` refers to (DuckDB rejects extra ones)."""
    return {name: values[name] for name in set(PARAM_REF.findall(sql))}


@dataclass
class ReportRun:
    """One execution of a report: bound parameters, output columns, and a cursor to stream rows from."""

    report: ReportDefinition
    params: dict[str, Any]
    scope: frozenset[str] | None
    generated_at: datetime
    column_names: list[str]
    _cursor: duckdb.DuckDBPyConnection = field(repr=False)

    def chunks(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[list[tuple[Any, ...]]]:
        """Rows in chunks of at most ``chunk_rows`` (``fetchmany``); never the whole result at once."""
        try:
            while True:
                rows = self._cursor.fetchmany(chunk_rows)
                if not rows:
                    return
                yield rows
        finally:
            self.close()

    def rows(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[tuple[Any, ...]]:
        for chunk in self.chunks(chunk_rows):
            yield from chunk

    def close(self) -> None:
        self._cursor.close()


class ReportRunner:
    """Runs the catalog's reports on connections from ``conn`` (one cursor per run)."""

    def __init__(self, catalog: ReportCatalog, clock: Clock | None = None) -> None:
        self.catalog = catalog
        self.clock = clock or SystemClock()

    def bind(
        self,
        conn: duckdb.DuckDBPyConnection,
        report: ReportDefinition,
        raw: Mapping[str, Any],
        scope: Scope,
    ) -> dict[str, Any]:
        """Typed parameters; values of lookup parameters must be among the lookup's (scoped) values."""
        values = bind_parameters(report, raw, today=self.clock.now().date())
        for spec in report.parameters:
            value = values[spec.name]
            if spec.lookup is None or value is None:
                continue
            allowed = self.lookup_values(conn, report, spec.name, scope)
            if value not in allowed:
                raise InvalidReportParameter(
                    f"parameter {spec.name!r}: {value!r} is not an available value",
                    report_id=report.id,
                    parameter=spec.name,
                )
        return values

    def lookup_values(
        self, conn: duckdb.DuckDBPyConnection, report: ReportDefinition, name: str, scope: Scope
    ) -> list[Any]:
        """The allowed values of parameter ``name`` for a user with ``scope``."""
        spec = report.parameter(name)
        if spec.lookup is None:
            return list(spec.allowed or [])
        sql = compile_sql(self.catalog, report, spec.lookup, scope)
        rows = self._execute(conn, report, sql, self._scope_param(scope)).fetchall()
        return [row[0] for row in rows]

    def run(
        self,
        conn: duckdb.DuckDBPyConnection,
        report_id: str,
        raw: Mapping[str, Any],
        scope: Scope,
    ) -> ReportRun:
        """Execute report ``report_id`` for ``scope``; rows are fetched lazily from the returned run."""
        report = self.catalog.get(report_id)
        values = self.bind(conn, report, raw, scope)
        sql = compile_sql(self.catalog, report, report.sql, scope)
        return self._start(conn, report, values, scope, sql, values)

    def page(
        self,
        conn: duckdb.DuckDBPyConnection,
        report_id: str,
        raw: Mapping[str, Any],
        scope: Scope,
        *,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[ReportRun, int]:
        """One page of the report and the total row count."""
        if offset < 0 or not 1 <= limit <= MAX_PAGE_ROWS:
            raise InvalidInput(f"offset must be >= 0 and limit in 1..{MAX_PAGE_ROWS}")
        report = self.catalog.get(report_id)
        values = self.bind(conn, report, raw, scope)
        inner = compile_sql(self.catalog, report, report.sql, scope)
        params = {**values, "page_limit": limit, "page_offset": offset}
        count_sql = f"SELECT COUNT(*) FROM ({inner}) AS report_rows"
        total_row = self._execute(conn, report, count_sql, {**values, **self._scope_param(scope)}).fetchone()
        total = int(total_row[0]) if total_row else 0
        sql = f"SELECT * FROM ({inner}) AS report_rows LIMIT $page_limit OFFSET $page_offset"
        return self._start(conn, report, values, scope, sql, params), total

    def _start(
        self,
        conn: duckdb.DuckDBPyConnection,
        report: ReportDefinition,
        values: dict[str, Any],
        scope: Scope,
        sql: str,
        params: dict[str, Any],
    ) -> ReportRun:
        cursor = self._execute(conn, report, sql, {**params, **self._scope_param(scope)})
        names = [d[0] for d in cursor.description or []]
        expected = [c.key for c in report.columns]
        if names != expected:
            cursor.close()
            raise ReportQueryError(
                f"report {report.id!r} returned columns {names}, its definition declares {expected}",
                report_id=report.id,
            )
        return ReportRun(
            report=report,
            params=values,
            scope=None if scope is None else frozenset(scope),
            generated_at=self.clock.now(),
            column_names=names,
            _cursor=cursor,
        )

    @staticmethod
    def _scope_param(scope: Scope) -> dict[str, Any]:
        return {} if scope is None else {"scope_lines": sorted(scope)}

    @staticmethod
    def _execute(
        conn: duckdb.DuckDBPyConnection, report: ReportDefinition, sql: str, params: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        cursor = conn.cursor()
        try:
            cursor.execute(sql, _params_for(sql, params))
        except duckdb.Error as exc:
            cursor.close()
            raise ReportQueryError(f"report {report.id!r} failed: {exc}", report_id=report.id) from None
        return cursor


def describe_params(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Bound parameters as display text (for title blocks and mail bodies)."""
    out = []
    for name, value in values.items():
        if isinstance(value, date | datetime):
            text = value.isoformat()
        elif value is None:
            text = "—"
        else:
            text = str(value)
        out.append((name, text))
    return out
