"""Evaluating data-quality checks per partition, and storing every result with its history.

One generated DuckDB aggregate per check computes the observed value for every partition at once
(``GROUP BY`` the configured partition expressions). Fixed expectations compare directly; rolling ones
compare with mean ± k·σ of the same check's earlier partitions (same other dimensions, only partitions
that passed, latest result per partition), so one bad day does not widen the band for the next.
Results go to ``dq_result`` (append-only: the history). :mod:`partition_lineage` answers "may I act on
partition P?" from it.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from plantloop.dataplatform.governance.crosswalk_store import create_crosswalk_tables, reference_codes_sql
from plantloop.dataplatform.governance.partitions import (
    PartitionConfig,
    PlantDay,
    format_key,
    load_partition_config,
    scheme_sql,
)
from plantloop.dataplatform.governance.quality_config import (
    Bounds,
    CompletenessCheck,
    QualityCheck,
    QualityConfig,
    ReferentialCheck,
    RowCountCheck,
    Severity,
    TimelinessCheck,
    UniquenessCheck,
    ValidityCheck,
)
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified, values_sql
from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.errors import InvalidInput
from plantloop.kernel.ids import new_id

DQ_RESULT_DDL = """
CREATE TABLE IF NOT EXISTS dq_result (
  run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, check_name VARCHAR NOT NULL, check_kind VARCHAR,
  severity VARCHAR, partition_key VARCHAR NOT NULL, partition_values VARCHAR, passed BOOLEAN NOT NULL,
  observed DOUBLE, expected_min DOUBLE, expected_max DOUBLE, expected VARCHAR, detail VARCHAR,
  evaluated_at TIMESTAMPTZ NOT NULL)
"""


def partition_key(values: dict[str, str]) -> str:
    """``day=2026-01-05/line=L1`` (dimension order as configured); ``all`` without dimensions."""
    return format_key(values)


def bare_table(name: str) -> str:
    """Results are stored under the bare table name (``dw.dwd_x`` → ``dwd_x``)."""
    return name.replace('"', "").rsplit(".", 1)[-1]


@dataclass(frozen=True)
class CheckResult:
    table: str
    check: str
    kind: str
    severity: Severity
    partition_key: str
    partition_values: dict[str, str]
    passed: bool
    observed: float | None
    expected_min: float | None
    expected_max: float | None
    expected: str
    detail: str = ""

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity is Severity.ERROR


@dataclass(frozen=True)
class QualityReport:
    run_id: str
    table: str
    evaluated_at: datetime
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    def failed_partitions(self) -> list[str]:
        return sorted({r.partition_key for r in self.results if r.blocking})

    def result(self, check: str, partition: str) -> CheckResult:
        return next(r for r in self.results if r.check == check and r.partition_key == partition)


def _observed_sql(check: QualityCheck) -> tuple[str, str]:
    """(aggregate expression over alias ``t``, extra FROM clause)."""
    if isinstance(check, CompletenessCheck):
        return f"avg(CASE WHEN t.{ident(check.column)} IS NULL THEN 1.0 ELSE 0.0 END)", ""
    if isinstance(check, UniquenessCheck):
        cols = [f"t.{ident(c)}" for c in check.columns]
        present = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        return (
            f"count(*) FILTER (WHERE {present}) "
            f"- count(DISTINCT row({', '.join(cols)})) FILTER (WHERE {present})",
            "",
        )
    if isinstance(check, ValidityCheck):
        col = f"t.{ident(check.column)}"
        valid = []
        if check.min is not None:
            valid.append(f"{col} >= {literal(check.min)}")
        if check.max is not None:
            valid.append(f"{col} <= {literal(check.max)}")
        if check.values is not None:
            valid.append(
                f"CAST({col} AS VARCHAR) IN ({', '.join(literal(v) for v in check.values) or 'NULL'})"
            )
        if check.regex is not None:
            valid.append(f"regexp_full_match(CAST({col} AS VARCHAR), {literal(check.regex)})")
        return (
            f"coalesce(avg(CASE WHEN {col} IS NULL THEN NULL "
            f"WHEN {' AND '.join(valid)} THEN 0.0 ELSE 1.0 END), 0)",
            "",
        )
    if isinstance(check, TimelinessCheck):
        lag = f"(epoch(t.{ident(check.arrived_column)}) - epoch(t.{ident(check.occurred_column)}))"
        if check.percentile is None:
            return f"max({lag})", ""
        return f"quantile_cont({lag}, {literal(check.percentile)})", ""
    if isinstance(check, ReferentialCheck):
        col = f"t.{ident(check.column)}"
        join = (
            f"LEFT JOIN (SELECT DISTINCT code AS __ref_code FROM "
            f"({reference_codes_sql(check.entity, check.system)})) AS __ref "
            f"ON CAST({col} AS VARCHAR) = __ref_code"
        )
        return (
            f"coalesce(avg(CASE WHEN {col} IS NULL THEN NULL "
            "WHEN __ref_code IS NULL THEN 1.0 ELSE 0.0 END), 0)",
            join,
        )
    assert isinstance(check, RowCountCheck)
    return "count(*)", ""


def _observe(
    con: duckdb.DuckDBPyConnection,
    config: QualityConfig,
    dimensions: dict[str, str],
    check: QualityCheck,
    where: str | None,
) -> list[tuple[dict[str, str], float | None]]:
    dims = list(dimensions.items())
    expr, join = _observed_sql(check)
    select = [f"CAST({sql} AS VARCHAR) AS {ident('__p_' + name)}" for name, sql in dims]
    conditions = [f"({c})" for c in (where, check.where) if c]
    sql = (
        f"SELECT {', '.join([*select, f'{expr} AS __observed'])} FROM {qualified(config.table)} AS t {join}"
        + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
        + (f" GROUP BY {', '.join(str(i) for i in range(1, len(dims) + 1))}" if dims else "")
    )
    rows = con.execute(sql).fetchall()
    out = []
    for row in rows:
        values = {name: ("" if v is None else str(v)) for (name, _), v in zip(dims, row[:-1], strict=True)}
        observed = None if row[-1] is None else float(row[-1])
        out.append((values, observed))
    return out


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _fixed(bounds: Bounds, observed: float | None) -> tuple[bool, str]:
    text = " and ".join(
        part
        for part in (
            f">= {bounds.min:g}" if bounds.min is not None else "",
            f"<= {bounds.max:g}" if bounds.max is not None else "",
        )
        if part
    )
    if observed is None:
        return False, text
    ok = (bounds.min is None or observed >= bounds.min - 1e-12) and (
        bounds.max is None or observed <= bounds.max + 1e-12
    )
    return ok, text


def _history(
    con: duckdb.DuckDBPyConnection, table: str, check: str
) -> dict[str, tuple[dict[str, str], float, bool]]:
    rows = con.execute(
        "SELECT partition_key, partition_values, observed, passed FROM dq_result "
        "WHERE table_name = ? AND check_name = ? AND observed IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY partition_key ORDER BY evaluated_at DESC, run_id DESC) = 1",
        [table, check],
    ).fetchall()
    return {str(k): (json.loads(v or "{}"), float(o), bool(p)) for k, v, o, p in rows}


def _evaluate_check(
    con: duckdb.DuckDBPyConnection,
    config: QualityConfig,
    dimensions: dict[str, str],
    check: QualityCheck,
    where: str | None,
) -> list[CheckResult]:
    table = bare_table(config.table)
    observed_rows = _observe(con, config, dimensions, check, where)
    rolling = check.rolling
    if rolling is not None:
        if rolling.over not in dimensions:
            raise InvalidInput(
                f"check {check.name!r}: rolling.over {rolling.over!r} is not a partition dimension of "
                f"{table} ({', '.join(dimensions) or 'none'})",
                check=check.name,
            )
        others = [d for d in dimensions if d != rolling.over]
        observed_rows.sort(key=lambda r: ([r[0][d] for d in others], _sort_key(r[0][rolling.over])))
        history = _history(con, table, check.name)
    results: list[CheckResult] = []
    for values, observed in observed_rows:
        key = partition_key(values)
        lo = hi = None
        detail = ""
        if rolling is None:
            bounds = check.expect or check.default_bounds()
            passed, expected = _fixed(bounds, observed)
            lo, hi = bounds.min, bounds.max
        else:
            me = _sort_key(values[rolling.over])
            earlier = sorted(
                (
                    (_sort_key(v[rolling.over]), o)
                    for k, (v, o, ok) in history.items()
                    if ok
                    and k != key
                    and rolling.over in v
                    and _sort_key(v[rolling.over]) < me
                    and all(v.get(d) == values[d] for d in others)
                ),
                reverse=True,
            )[: rolling.window]
            points = [o for _, o in earlier]
            if len(points) < rolling.min_history:
                passed = observed is not None
                expected = f"rolling {rolling.window} (insufficient history: {len(points)})"
            else:
                mean = statistics.fmean(points)
                sigma = max(statistics.stdev(points), rolling.min_sigma)
                lo, hi = mean - rolling.k_sigma * sigma, mean + rolling.k_sigma * sigma
                passed, _ = _fixed(Bounds(min=lo, max=hi), observed)
                expected = f"{mean:g} ± {rolling.k_sigma:g}σ (σ={sigma:g}, n={len(points)})"
            if observed is not None and math.isfinite(observed):
                history[key] = (values, observed, passed)
        if observed is None:
            detail = "no value to check (no rows with the needed columns)"
        results.append(
            CheckResult(
                table,
                check.name,
                check.kind,
                check.severity,
                key,
                values,
                passed,
                observed,
                lo,
                hi,
                expected,
                detail,
            )
        )
    return results


def _vanished(
    con: duckdb.DuckDBPyConnection,
    config: QualityConfig,
    dimensions: dict[str, str],
    results: list[CheckResult],
) -> list[CheckResult]:
    """Partitions checked before that have no rows any more (a restatement moved them — e.g. bookings of an
    unmapped machine now belong to a line): their last result must not outlive them, so each check gets a
    passing result with ``observed`` NULL that says why."""
    table = bare_table(config.table)
    previous = con.execute(
        "SELECT check_name, partition_key, partition_values FROM dq_result WHERE table_name = ? "
        "QUALIFY row_number() OVER (PARTITION BY check_name, partition_key "
        "ORDER BY evaluated_at DESC, run_id DESC) = 1",
        [table],
    ).fetchall()
    current = {(r.check, r.partition_key) for r in results}
    candidates = [(c, k, v) for c, k, v in previous if (c, k) not in current]
    if not candidates:
        return []
    select = ", ".join(f"CAST({sql} AS VARCHAR)" for sql in dimensions.values()) or "1"
    present: dict[str | None, set[str]] = {}  # rows a check looks at (its ``where``) → their partitions
    checks = {c.name: c for c in config.checks}
    out = []
    for name, key, values in candidates:
        check = checks.get(name)
        if check is None:
            continue
        if check.where not in present:
            rows = con.execute(
                f"SELECT DISTINCT {select} FROM {qualified(config.table)} AS t"
                + (f" WHERE ({check.where})" if check.where else "")
            ).fetchall()
            present[check.where] = {
                partition_key({n: ("" if v is None else str(v)) for n, v in zip(dimensions, r, strict=False)})
                for r in rows
            }
        if key not in present[check.where]:
            out.append(
                CheckResult(
                    table, name, check.kind, check.severity, key, json.loads(values or "{}"), True,
                    None, None, None, "no rows", "partition has no rows to check any more: moved or removed",
                )
            )  # fmt: skip
    return out


def store_results(con: duckdb.DuckDBPyConnection, report: QualityReport) -> None:
    con.execute(DQ_RESULT_DDL)
    if not report.results:
        return
    rows = [
        (
            report.run_id,
            r.table,
            r.check,
            r.kind,
            r.severity.value,
            r.partition_key,
            json.dumps(r.partition_values),
            r.passed,
            r.observed,
            r.expected_min,
            r.expected_max,
            r.expected,
            r.detail,
            report.evaluated_at,
        )
        for r in report.results
    ]
    con.execute(f"INSERT INTO dq_result VALUES {values_sql(rows)}")


def partition_dimensions(
    con: duckdb.DuckDBPyConnection,
    config: QualityConfig,
    day: PlantDay | None = None,
    partitions: PartitionConfig | None = None,
) -> dict[str, str]:
    """``{dimension: SQL over alias t}``: the config's own partition, else the table's primary scheme."""
    scheme = config.partition
    if scheme is None:
        schemes = (partitions or load_partition_config()).schemes(bare_table(config.table))
        scheme = schemes[0] if schemes else {}
    return scheme_sql(con, config.table, scheme, day, alias="t.")


def evaluate_quality(
    con: duckdb.DuckDBPyConnection,
    config: QualityConfig,
    *,
    where: str | None = None,
    run_id: str | None = None,
    clock: Clock | None = None,
    store: bool = True,
    day: PlantDay | None = None,
    partitions: PartitionConfig | None = None,
) -> QualityReport:
    """Evaluate every check of ``config`` on every partition (``where`` limits the rows, e.g. new days).

    ``day`` is the plant's production day (needed by ``production_day`` partitions); ``partitions`` the
    scheme registry used when the config names no partition (the shipped ``partitions.yaml`` by default).
    """
    con.execute(DQ_RESULT_DDL)
    if any(isinstance(c, ReferentialCheck) for c in config.checks):
        create_crosswalk_tables(con)
    dimensions = partition_dimensions(con, config, day, partitions)
    results: list[CheckResult] = []
    for check in config.checks:
        results.extend(_evaluate_check(con, config, dimensions, check, where))
    table = bare_table(config.table)
    results.extend(_vanished(con, config, dimensions, results))
    report = QualityReport(run_id or new_id(), table, (clock or SystemClock()).now(), tuple(results))
    if store:
        store_results(con, report)
    return report


def latest_results(con: duckdb.DuckDBPyConnection, table: str, partition: str) -> list[dict[str, Any]]:
    """The latest result of every check on one partition."""
    if not table_exists(con, "dq_result"):
        return []
    cur = con.execute(
        "SELECT check_name, check_kind, severity, passed, observed, expected, detail, evaluated_at, run_id "
        "FROM dq_result WHERE table_name = ? AND partition_key = ? "
        "QUALIFY row_number() OVER (PARTITION BY check_name ORDER BY evaluated_at DESC, run_id DESC) = 1 "
        "ORDER BY check_name",
        [table, partition],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
