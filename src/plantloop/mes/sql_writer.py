"""The hot write path of the SQL store: plain DBAPI ``executemany`` with SQL built once per table and
dialect, skipping SQLAlchemy's per-statement machinery (it costs more than SQLite itself here).

Values are converted exactly as the table types would: UTC datetimes (naive text in SQLite, aware in
PostgreSQL), JSON as text. Reads stay on SQLAlchemy, which parses both back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from plantloop.mes.orm import UTCDateTime

Convert = Callable[[Any], Any]


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _aware_datetime(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), default=str)


def _converter(column: sa.Column[Any], dialect: str) -> Convert | None:
    if isinstance(column.type, UTCDateTime):
        return _sqlite_datetime if dialect == "sqlite" else _aware_datetime
    if isinstance(column.type, sa.JSON):
        return _json
    return None


def _q(name: str) -> str:
    return f'"{name}"'


class Statement:
    """One SQL text with the row keys it takes, in order, and their converters."""

    def __init__(self, sql: str, keys: Sequence[str], converters: Sequence[Convert | None]) -> None:
        self.sql = sql
        self.keys = tuple(keys)
        self.converters = tuple(converters)

    def params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        pairs = list(zip(self.keys, self.converters, strict=True))
        return [tuple(conv(row[k]) if conv else row[k] for k, conv in pairs) for row in rows]


def _mark(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


@cache
def insert(table: sa.Table, dialect: str, columns: tuple[str, ...]) -> Statement:
    marks = ", ".join(_mark(dialect) for _ in columns)
    sql = f"INSERT INTO {_q(table.name)} ({', '.join(_q(c) for c in columns)}) VALUES ({marks})"
    return Statement(sql, columns, [_converter(table.c[c], dialect) for c in columns])


@cache
def update(table: sa.Table, dialect: str, columns: tuple[str, ...], where: tuple[str, ...]) -> Statement:
    """``UPDATE … SET columns WHERE where``; rows carry the WHERE values under ``b_<column>``."""
    m = _mark(dialect)
    sets = ", ".join(f"{_q(c)} = {m}" for c in columns)
    conds = " AND ".join(f"{_q(c)} = {m}" for c in where)
    sql = f"UPDATE {_q(table.name)} SET {sets} WHERE {conds}"
    keys = [*columns, *(f"b_{c}" for c in where)]
    convs = [_converter(table.c[c], dialect) for c in columns] + [
        _converter(table.c[c], dialect) for c in where
    ]
    return Statement(sql, keys, convs)


@cache
def delete(table: sa.Table, dialect: str, where: tuple[str, ...]) -> Statement:
    m = _mark(dialect)
    conds = " AND ".join(f"{_q(c)} = {m}" for c in where)
    return Statement(
        f"DELETE FROM {_q(table.name)} WHERE {conds}",
        [f"b_{c}" for c in where],
        [_converter(table.c[c], dialect) for c in where],
    )


def execute(cursor: Any, statement: Statement, rows: Sequence[dict[str, Any]]) -> int:
    """Run ``statement`` for every row; returns the total row count the driver reports."""
    params = statement.params(rows)
    if len(params) == 1:
        cursor.execute(statement.sql, params[0])
    else:
        cursor.executemany(statement.sql, params)
    return int(cursor.rowcount)
