"""The metric query API: ``query_metric(name, period, group_by, filter, scope)`` over ADS / DWS only.

Validation raises :class:`~plantloop.kernel.errors.InvalidInput` (HTTP 422) for an unknown metric, a
grouping or filter the metric's grain does not allow, or a malformed period. ``scope`` is the row-level
scope of the caller (the set of line ids it may see), applied as a row filter; ``None`` means no limit.
Keyword periods are relative to the newest materialised data: ``shift`` (the newest shift), ``day``,
``week`` (7 days up to the newest day) and ``all``; the live path covers the running shift.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from plantloop.dataplatform.governance.partitions import plant_day
from plantloop.dataplatform.governance.verdicts import Gate
from plantloop.dataplatform.metrics.definitions import (
    DIMENSIONS,
    METRICS,
    SOURCE_WHERE,
    TIME_COLUMN,
    Metric,
    Source,
)
from plantloop.dataplatform.metrics.quality import Selection, annotate
from plantloop.dataplatform.metrics.query_log import QUERY_LOG_DDL, record_queries
from plantloop.dataplatform.warehouse.project import SEARCH_SCHEMAS
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import InvalidInput

KEYWORD_PERIODS = ("shift", "day", "week", "all")
Period = str | tuple[date | datetime | str, date | datetime | str]
ParsedPeriod = str | tuple[date, date]


@dataclass
class MetricResult:
    metric: Metric
    derived_name: str
    period: str
    period_from: date | None
    period_to: date | None
    group_by: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    dq_failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric.name,
            "derived_name": self.derived_name,
            "unit": self.metric.unit,
            "period": self.period,
            "from": self.period_from.isoformat() if self.period_from else None,
            "to": self.period_to.isoformat() if self.period_to else None,
            "group_by": list(self.group_by),
            "rows": [{k: _jsonable(v) for k, v in r.items()} for r in self.rows],
            "dq_status": "fail" if self.dq_failed else _overall(self.rows),
            "dq_failed": self.dq_failed,
        }


def _overall(rows: list[dict[str, Any]]) -> str:
    statuses = {r.get("dq_status") for r in rows}
    return "pass" if "pass" in statuses else "unchecked"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise InvalidInput(f"unknown metric {name!r}", metric=name, known=sorted(METRICS)) from None


def parse_filter(text: str | None) -> dict[str, list[str]]:
    """``line:L1,line:L2,shift:A`` → ``{"line": ["L1", "L2"], "shift": ["A"]}``."""
    out: dict[str, list[str]] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"filter {part!r} must look like dimension:value", filter=part)
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidInput(f"not a date: {value!r}", value=str(value)) from None


def parse_period(period: Period) -> ParsedPeriod:
    """Keyword, ``(from, to)`` or the API's ``from..to``."""
    if isinstance(period, tuple):
        return (_as_date(period[0]), _as_date(period[1]))
    if period in KEYWORD_PERIODS:
        return period
    if ".." in period:
        left, right = period.split("..", 1)
        first, last = _as_date(left), _as_date(right)
        if first > last:
            raise InvalidInput(f"period {period!r} ends before it starts", period=period)
        return (first, last)
    raise InvalidInput(f"period {period!r} is not one of {KEYWORD_PERIODS} nor from..to", period=period)


def query_metric(
    wh: Warehouse,
    name: str,
    period: Period = "day",
    group_by: Sequence[str] = (),
    filter: Mapping[str, str | Iterable[str]] | None = None,
    scope: Collection[str] | None = None,
    *,
    consumer: str = "metrics",
    gate: Gate | None = None,
) -> MetricResult:
    """One metric's values over ADS, grouped, filtered and limited to ``scope`` (line ids; None = all),
    each row with its DQ status (``gate``: the DQ verdicts to use; read from the warehouse when None)."""
    metric = get_metric(name)
    dims = DIMENSIONS[metric.source]
    group = tuple(group_by)
    for g in group:
        if g not in dims:
            raise InvalidInput(
                f"metric {name!r} cannot be grouped by {g!r}", metric=name, group_by=g, allowed=list(dims)
            )
    filters: dict[str, list[str]] = {}
    for key, value in (filter or {}).items():
        if key not in dims:
            raise InvalidInput(f"metric {name!r} cannot be filtered by {key!r}", metric=name, filter=key)
        filters[key] = [value] if isinstance(value, str) else [str(v) for v in value]
    parsed = parse_period(period)
    if metric.source is Source.QUERY_LOG:
        return _data_asset_utilization(wh, metric, parsed, group, consumer)
    table = f"dw.{metric.source.value}"
    time_col = TIME_COLUMN[metric.source]
    where: list[str] = []
    params: list[Any] = []
    if metric.source in SOURCE_WHERE:
        where.append(SOURCE_WHERE[metric.source])
    start, end = _period_bounds(wh, parsed, table, time_col, where)
    if parsed == "shift" and "shift_start_at" in _columns(metric.source):
        where.append(f"shift_start_at = (SELECT max(shift_start_at) FROM {table})")
    elif start is not None and end is not None:
        where.append(f"{time_col} BETWEEN ? AND ?")
        params += [start, end]
    for key, values in filters.items():
        where.append(f"CAST({dims[key]} AS VARCHAR) IN ({', '.join('?' for _ in values)})")
        params += values
    if scope is not None and "line" in dims:
        if not scope:
            where.append("FALSE")
        else:
            where.append(f"line_id IN ({', '.join('?' for _ in scope)})")
            params += sorted(scope)
    cols = [f"{dims[g]} AS {g}" for g in group]
    sql = f"SELECT {', '.join([*cols, f'{metric.expression} AS value'])} FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if group:
        sql += " GROUP BY " + ", ".join(dims[g] for g in group) + " ORDER BY " + ", ".join(group)
    with wh.connect() as con:
        cursor = con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        record_queries(con, [metric.source.value], consumer)
        gate = (
            gate.on(con) if gate is not None else Gate(con, day=plant_day(wh.plant), schemas=SEARCH_SCHEMAS)
        )
        failed = annotate(rows, metric.source.value, gate, Selection(start, end, filters, scope))
    return MetricResult(
        metric, metric.derived_name(parsed if isinstance(parsed, str) else "range", group),
        parsed if isinstance(parsed, str) else "range", start, end, group, rows, failed,
    )  # fmt: skip


def _columns(source: Source) -> set[str]:
    return {"shift_start_at"} if source in (Source.OEE, Source.PRODUCT) else set()


def _period_bounds(
    wh: Warehouse, period: ParsedPeriod, table: str, time_col: str, where: list[str]
) -> tuple[date | None, date | None]:
    if isinstance(period, tuple):
        return period[0], period[1]
    if period == "all":
        return None, None
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    row = wh.query(f"SELECT max({time_col}) FROM {table}{cond}")
    newest = row[0][0] if row and row[0][0] is not None else None
    if newest is None:
        return None, None
    if period == "week":
        return newest - timedelta(days=6), newest
    return newest, newest


def _data_asset_utilization(
    wh: Warehouse, metric: Metric, period: ParsedPeriod, group: tuple[str, ...], consumer: str
) -> MetricResult:
    governed = wh.table_names()
    where, params = "", []
    start: date | None = None
    end: date | None = None
    if isinstance(period, tuple):
        start, end = period
        where, params = " AND queried_day BETWEEN ? AND ?", [start, end]
    with wh.connect() as con:
        con.execute(QUERY_LOG_DDL)
        placeholders = ", ".join("?" for _ in governed)
        sel = "queried_day AS day, " if group else ""
        sql = (
            f"SELECT {sel}CAST(COUNT(DISTINCT table_name) AS DOUBLE) / ? AS value FROM main.dp_query_log "
            f"WHERE table_name IN ({placeholders}){where}"
            + (" GROUP BY queried_day ORDER BY queried_day" if group else "")
        )
        cursor = con.execute(sql, [len(governed), *governed, *params])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        record_queries(con, ["dp_query_log"], consumer)
    label = period if isinstance(period, str) else "range"
    return MetricResult(metric, metric.derived_name(label, group), label, start, end, group, rows)


def list_metrics() -> list[dict[str, object]]:
    return [m.to_dict() for m in METRICS.values()]
