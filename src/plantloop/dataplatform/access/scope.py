"""Row-level scope for SQL readers: a principal sees the rows of its lines (``None`` = the whole plant).

The scope is always a bound parameter, never text spliced into SQL. Rows of no line (plant-wide facts) are
visible to every scope when ``plant_wide_visible`` is set — the same rule as the MES read side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Subject(Protocol):
    """Who is reading (the API's ``Principal`` satisfies this)."""

    @property
    def username(self) -> str: ...

    @property
    def lines(self) -> frozenset[str] | None: ...

    def can(self, permission: str) -> bool: ...


def scope_lines(subject: Subject | None) -> frozenset[str] | None:
    """The line scope of ``subject``; no subject (a system job) reads the whole plant."""
    return None if subject is None else subject.lines


def scope_clause(
    column: str, lines: Iterable[str] | None, *, plant_wide_visible: bool = True
) -> tuple[str, list[object]]:
    """``(sql, params)`` restricting ``column`` to ``lines`` — ``("TRUE", [])`` for the whole plant.

    ``column`` must be an identifier chosen by code (it is quoted, not bound); the lines are bound.
    """
    if lines is None:
        return "TRUE", []
    if not column.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"not a column identifier: {column!r}")
    quoted = ".".join(f'"{part}"' for part in column.split("."))
    values = sorted(set(lines))
    inside = f"{quoted} IN (SELECT UNNEST(?::VARCHAR[]))"
    sql = f"({quoted} IS NULL OR {inside})" if plant_wide_visible else inside
    return sql, [values]
