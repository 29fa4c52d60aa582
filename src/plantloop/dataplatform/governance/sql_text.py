"""SQL text for the statements the governance layer generates: quoted identifiers and literals.

Generated SQL never splices a raw name or value: identifiers go through :func:`ident`, values through
:func:`literal`. Config-supplied predicates (``where:`` in cleaning rules, partition expressions) are SQL by
design and are written by data engineers, not taken from the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime


def ident(name: str) -> str:
    """A double-quoted SQL identifier (works in DuckDB, PostgreSQL and Spark with ANSI quoting)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(name: str) -> str:
    """A possibly schema-qualified table name, each part quoted: ``main.t`` → ``"main"."t"``."""
    return ".".join(ident(part) for part in name.split("."))


def literal(value: object) -> str:
    """A SQL literal for a Python scalar."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"cannot write {value!r} as a SQL literal")
        return repr(value)
    if isinstance(value, datetime | date):
        return "'" + value.isoformat() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def values_sql(rows: Sequence[Sequence[object]]) -> str:
    """``(a, b), (c, d)`` for an ``INSERT … VALUES`` of many rows in one statement."""
    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
