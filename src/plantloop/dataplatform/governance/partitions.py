"""Partitions: how a governed table is cut for data quality, restatement and decision gating.

A *partition scheme* names dimensions and says how each is computed from a row — a SQL expression, or
the macro ``{production_day: <column>}``: the plant-local day the shift calendar assigns an instant to
(a night shift that ends at 06:00 belongs to the day it started). A table has one or more schemes
(``day × line`` for facts, ``lot`` beside it for genealogy); ``config/partitions.yaml`` lists them.

A partition key is Hive-style and self-describing: ``day=2026-11-27/line=L1``; :func:`parse_key` also reads
the positional form ``2026-11-27/L1`` against a table's first scheme (what the decision layer writes).

Two partitions of related tables *overlap* when they agree on every dimension they share; an empty value
(a row whose line could not be resolved) agrees with any value, and partitions that share no dimension
overlap (a lot says nothing about which day, so a failed lot taints every day built on its table — the
safe side for a gate). This rule carries a DQ failure from a DWD day × line to every DWS / ADS partition
built on it, without storing an edge per partition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from plantloop.dataplatform.governance.config_files import load_config, shipped_config
from plantloop.dataplatform.governance.sql_text import ident, literal
from plantloop.dataplatform.governance.table_state import table_columns
from plantloop.kernel.errors import InvalidInput
from plantloop.mes.masterdata.schema import PlantDefinition

WHOLE_TABLE = "all"
#: A dimension value that agrees with every value (unknown at the source: e.g. an unresolved line).
ANY_VALUE = ""


class ProductionDay(BaseModel):
    """``{production_day: completed_at}``: the plant-local production day of a timestamp column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    production_day: str = Field(min_length=1)


PartitionExpr = str | ProductionDay
Scheme = dict[str, PartitionExpr]


class PartitionConfig(BaseModel):
    """``config/partitions.yaml``: table → its schemes (the first is the table's primary scheme)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tables: dict[str, list[Scheme]] = Field(default_factory=dict)

    def schemes(self, table: str) -> list[Scheme]:
        return self.tables.get(table, [])

    def primary_dims(self, table: str) -> list[str]:
        schemes = self.schemes(table)
        return list(schemes[0]) if schemes else []


def load_partition_config(path: Path | str | None = None) -> PartitionConfig:
    return load_config(PartitionConfig, path or shipped_config("partitions.yaml"))


@dataclass(frozen=True)
class PlantDay:
    """When a production day starts, in the plant's time zone (the first shift's start)."""

    timezone: str
    start: time

    @property
    def start_s(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    def day_of(self, instant: datetime) -> Any:
        """The production day of an aware instant (Python twin of the SQL macro, for tests and the API)."""
        from zoneinfo import ZoneInfo

        local = instant.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return (local - timedelta(seconds=self.start_s)).date()


def plant_day(plant: PlantDefinition) -> PlantDay:
    starts = sorted(s.start for s in plant.calendar.shifts)
    return PlantDay(plant.site.timezone, starts[0] if starts else time(0))


def production_day_sql(column_sql: str, column_type: str, day: PlantDay) -> str:
    """SQL for the production day of a column; naive timestamps are UTC (the warehouse's convention)."""
    instant = column_sql if "TIME ZONE" in column_type.upper() else f"timezone('UTC', {column_sql})"
    local = f"timezone({literal(day.timezone)}, {instant})"
    return f"CAST({local} - INTERVAL {day.start_s} SECOND AS DATE)"


def dimension_sql(
    expr: PartitionExpr, columns: Mapping[str, str], day: PlantDay | None, *, alias: str = ""
) -> str:
    """The SQL of one dimension over a table with ``columns`` (``{name: type}``), optionally aliased."""
    if isinstance(expr, str):
        return expr
    if day is None:
        raise InvalidInput("a production_day partition needs the plant calendar", column=expr.production_day)
    column = expr.production_day
    kind = next((t for c, t in columns.items() if c.lower() == column.lower()), None)
    if kind is None:
        raise InvalidInput(f"partition column {column!r} is not a column of the table", column=column)
    return production_day_sql(f"{alias}{ident(column)}", kind, day)


def scheme_sql(
    con: duckdb.DuckDBPyConnection, table: str, scheme: Scheme, day: PlantDay | None, *, alias: str = ""
) -> dict[str, str]:
    """``{dimension: SQL}`` of one scheme over ``table``."""
    columns = table_columns(con, table)
    return {name: dimension_sql(expr, columns, day, alias=alias) for name, expr in scheme.items()}


def format_key(values: Mapping[str, Any]) -> str:
    """``day=2026-01-05/line=L1`` (dimension order as given); ``all`` without dimensions."""
    return "/".join(f"{k}={'' if v is None else v}" for k, v in values.items()) or WHOLE_TABLE


def parse_key(key: str, dims: Sequence[str] = ()) -> dict[str, str]:
    """The dimension values of a key; a positional key (``2026-11-27/L1``) is read against ``dims``."""
    if key == WHOLE_TABLE or not key:
        return {}
    parts = key.split("/")
    if all("=" in p for p in parts):
        return dict(p.split("=", 1) for p in parts)
    if any("=" in p for p in parts) or len(parts) > len(dims):
        raise InvalidInput(
            f"partition key {key!r} is neither dim=value/… nor positional over {list(dims)}",
            partition=key,
            dimensions=list(dims),
        )
    return dict(zip(dims, parts, strict=False))


def overlap(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Agree on every shared dimension (an empty value agrees with any; nothing shared: overlap)."""
    shared = set(a) & set(b)
    return all(a[d] == b[d] or ANY_VALUE in (a[d], b[d]) for d in shared)
