"""DQ verdicts: may a reader — a report, a metric, the decision layer — trust partition P of table T?

A verdict collects the latest *blocking* failures (``dq_result``, severity ``error``) of

- T itself, in partitions that overlap P;
- every table upstream of T (``dp_table_lineage``: the warehouse DAG plus governance's ODS → STG steps,
  written at each build), in partitions that overlap P — the rule of :mod:`partitions`;
- partitions explicitly recorded upstream of P (``partition_lineage``), whatever their keys.

P is first expanded into its *coordinates*: the values of every partition scheme of T among T's rows in P.
A lot partition (``lot=LOT-7``) thereby becomes the days and lines the lot was made on, so a failed day
taints exactly the lots made that day, not every lot. Tables are named bare (``dws_line_day``) and looked
up in ``schemas`` in order (the warehouse passes ``("main", "dw")``).

:func:`dq_verdict` is the small, stable function the decision layer gates on; :func:`mark_downstream` writes
``dq_downstream_mark``: every downstream partition of every failed one, for readers that want a table.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from plantloop.dataplatform.governance.partition_lineage import (
    FailedCheck,
    PartitionRef,
    latest_results,
    load_partition_lineage,
    propagate,
)
from plantloop.dataplatform.governance.partitions import (
    WHOLE_TABLE,
    PartitionConfig,
    PlantDay,
    format_key,
    load_partition_config,
    overlap,
    parse_key,
    scheme_sql,
)
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified, values_sql
from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.kernel.clock import Clock, SystemClock

#: The dimension of a key written in no registered scheme (compared as a whole).
OPAQUE = "partition"


def dq_stamp(con: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    """Changes whenever DQ results or lineage change: a key for caching a :class:`Gate`."""
    parts: list[object] = []
    for table, sql in (
        ("dq_result", "SELECT count(*), max(evaluated_at) FROM dq_result"),
        ("dp_table_lineage", "SELECT count(*), max(recorded_at) FROM dp_table_lineage"),
        ("partition_lineage", "SELECT count(*), max(recorded_at) FROM partition_lineage"),
    ):
        row = con.execute(sql).fetchone() if table_exists(con, table) else None
        parts.extend(row or (None, None))
    return tuple(parts)


TABLE_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS dp_table_lineage (
  upstream_table VARCHAR NOT NULL, downstream_table VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)
"""

DOWNSTREAM_MARK_DDL = """
CREATE TABLE IF NOT EXISTS dq_downstream_mark (
  table_name VARCHAR NOT NULL, partition_key VARCHAR NOT NULL, because_table VARCHAR NOT NULL,
  because_partition VARCHAR NOT NULL, check_name VARCHAR NOT NULL, marked_at TIMESTAMPTZ NOT NULL)
"""


def record_table_lineage(
    con: duckdb.DuckDBPyConnection, edges: Iterable[tuple[str, str]], clock: Clock | None = None
) -> None:
    """Replace the table lineage with ``(upstream, downstream)`` edges (bare table names)."""
    con.execute(TABLE_LINEAGE_DDL)
    now = (clock or SystemClock()).now()
    rows = sorted(set(edges))
    con.execute("DELETE FROM dp_table_lineage")
    if rows:
        con.execute(f"INSERT INTO dp_table_lineage VALUES {values_sql([(*r, now) for r in rows])}")


def table_parents(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {}
    if not table_exists(con, "dp_table_lineage"):
        return parents
    for up, down in con.execute("SELECT upstream_table, downstream_table FROM dp_table_lineage").fetchall():
        parents.setdefault(str(down), set()).add(str(up))
    return parents


def _walk(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), set()):
            if nxt not in seen and nxt != start:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def ancestors(parents: dict[str, set[str]], table: str) -> set[str]:
    return _walk(table, parents)


def descendants(parents: dict[str, set[str]], table: str) -> set[str]:
    children: dict[str, set[str]] = {}
    for child, ups in parents.items():
        for up in ups:
            children.setdefault(up, set()).add(child)
    return _walk(table, children)


@dataclass(frozen=True)
class Verdict:
    """The DQ state of one partition and of everything it was built from."""

    partition: PartitionRef
    failing: tuple[FailedCheck, ...]  # its own blocking failures
    upstream_failing: tuple[FailedCheck, ...]  # blocking failures of partitions upstream of it
    checked: bool  # at least one DQ result exists for it or for something upstream
    upstream: tuple[str, ...] = field(default=())  # upstream tables and explicit upstream partitions

    @property
    def ok(self) -> bool:
        return not self.failing and not self.upstream_failing

    @property
    def actionable(self) -> bool:
        """OK, and not merely because nothing was checked."""
        return self.ok and self.checked

    def reasons(self) -> list[str]:
        """One line per failure: ``dwd_x[day=…]: check equipment_known (observed 0.2, expected <= 0)``."""
        return [
            f"{f.partition}: check {f.check} (observed {f.observed}, expected {f.expected})"
            for f in (*self.failing, *self.upstream_failing)
        ]


def _texts(row: Sequence[object]) -> list[str]:
    return ["" if v is None else str(v) for v in row]


class Gate:
    """Verdicts over one DuckDB connection: the partition registry and the plant's production day."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        day: PlantDay | None = None,
        partitions: PartitionConfig | None = None,
        schemas: Sequence[str] = ("main",),
    ) -> None:
        self.con = con
        self.day = day
        self.partitions = partitions or load_partition_config()
        self.schemas = tuple(schemas)
        self.results = latest_results(con)
        self.table_parents = table_parents(con)
        self.edges = load_partition_lineage(con)

    def on(self, con: duckdb.DuckDBPyConnection) -> Gate:
        """The same loaded results and lineage over another connection (one connection per thread)."""
        other = copy.copy(self)
        other.con = con
        return other

    def dims_of(self, table: str, partition: str) -> dict[str, str]:
        """A key's dimensions; a table without a registered scheme may use any opaque key (``2026-W02``)."""
        dims = self.partitions.primary_dims(table)
        if not dims and "=" not in partition and partition != WHOLE_TABLE:
            return {OPAQUE: partition}
        return parse_key(partition, dims)

    def relation(self, table: str) -> str | None:
        """Where a bare table name lives: the first of ``schemas`` that has it (None: nowhere yet)."""
        for schema in self.schemas:
            name = f"{schema}.{table}"
            if table_exists(self.con, name):
                return name
        return None

    def coordinates(self, table: str, values: dict[str, str]) -> list[dict[str, str]]:
        """``values`` completed with every scheme's dimensions of ``table``'s rows in that partition."""
        schemes = self.partitions.schemes(table)
        relation = self.relation(table)
        if not schemes or not values or relation is None:
            return [values]
        dims: dict[str, str] = {}
        for scheme in schemes:
            dims |= scheme_sql(self.con, relation, scheme, self.day)
        missing = [d for d in dims if d not in values]
        if not missing:
            return [values]
        where = " AND ".join(
            f"CAST({dims[d]} AS VARCHAR) = {literal(v)}" for d, v in values.items() if d in dims and v != ""
        )
        select = ", ".join(f"CAST({dims[d]} AS VARCHAR) AS {ident(d)}" for d in missing)
        rows = self.con.execute(
            f"SELECT DISTINCT {select} FROM {qualified(relation)}" + (f" WHERE {where}" if where else "")
        ).fetchall()
        if not rows:
            return [values]
        return [
            values | {d: ("" if v is None else str(v)) for d, v in zip(missing, r, strict=True)} for r in rows
        ]

    def all_coordinates(self, tables: Iterable[str]) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """Per table: every (primary key, coordinates) present in its rows — one query per table."""
        out: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for table in sorted(set(tables)):
            schemes = self.partitions.schemes(table)
            relation = self.relation(table)
            if not schemes or relation is None:
                continue
            dims: dict[str, str] = {}
            for scheme in schemes:
                dims |= scheme_sql(self.con, relation, scheme, self.day)
            primary = list(schemes[0])
            found = self.con.execute(
                f"SELECT DISTINCT {', '.join(f'CAST({sql} AS VARCHAR)' for sql in dims.values())} "
                f"FROM {qualified(relation)}"
            ).fetchall()
            coords = [
                dict(zip(dims, ["" if v is None else str(v) for v in row], strict=True)) for row in found
            ]
            out[table] = [(format_key({d: c[d] for d in primary}), c) for c in coords]
        return out

    def verdict(self, table: str, partition: str) -> Verdict:
        me = PartitionRef(table, partition)
        coords = self.coordinates(table, self.dims_of(table, partition))
        upstream_tables = ancestors(self.table_parents, table)
        explicit = self._explicit_ancestors(me)
        own: list[FailedCheck] = []
        upstream: list[FailedCheck] = []
        checked = False
        for result in self.results:
            ref = result.partition
            related = ref.table == table or ref.table in upstream_tables
            if ref in explicit:
                hit = True
            elif related:
                failed_dims = self.dims_of(ref.table, ref.partition)
                hit = any(overlap(failed_dims, c) for c in coords)
            else:
                continue
            if not hit:
                continue
            checked = True
            if result.blocking:
                (own if ref.table == table and ref not in explicit else upstream).append(result.failure)
        return Verdict(
            partition=me,
            failing=tuple(sorted(own, key=lambda f: (f.partition, f.check))),
            upstream_failing=tuple(sorted(upstream, key=lambda f: (f.partition, f.check))),
            checked=checked,
            upstream=tuple(sorted(upstream_tables | {str(p) for p in explicit})),
        )

    def _explicit_ancestors(self, target: PartitionRef) -> set[PartitionRef]:
        parents: dict[PartitionRef, set[PartitionRef]] = {}
        for edge in self.edges:
            parents.setdefault(edge.downstream, set()).add(edge.upstream)
        seen: set[PartitionRef] = set()
        queue = deque([target])
        while queue:
            for parent in parents.get(queue.popleft(), set()):
                if parent not in seen and parent != target:
                    seen.add(parent)
                    queue.append(parent)
        return seen


def partition_verdict(
    con: duckdb.DuckDBPyConnection,
    table: str,
    partition: str,
    *,
    day: PlantDay | None = None,
    partitions: PartitionConfig | None = None,
    schemas: Sequence[str] = ("main",),
) -> Verdict:
    """Is ``table[partition]`` — and everything it was built from — free of blocking DQ failures?"""
    return Gate(con, day=day, partitions=partitions, schemas=schemas).verdict(table, partition)


def dq_verdict(
    con: duckdb.DuckDBPyConnection,
    partitions: Sequence[tuple[str, str]],
    *,
    day: PlantDay | None = None,
    registry: PartitionConfig | None = None,
    schemas: Sequence[str] = ("main",),
) -> tuple[bool, list[str]]:
    """The decision layer's gate: ``(passed, failed)`` for ``[(table, partition_key), …]``.

    ``failed`` names each input that has a blocking failure in it or upstream of it, with the reasons:
    ``dwd_operation_execution[day=2026-11-27/line=L1]: stg_legacy__…[day=…]: check equipment_known …``.
    A partition without any DQ result passes (nothing says it is bad: e.g. today, not yet built) — the
    caller sees how many it asked about. Keys may be positional (``2026-11-27/L1``).
    """
    gate = Gate(con, day=day, partitions=registry, schemas=schemas)
    failed: list[str] = []
    for table, partition in partitions:
        verdict = gate.verdict(table, partition)
        if not verdict.ok:
            failed.append(f"{verdict.partition}: " + "; ".join(verdict.reasons()))
    return not failed, failed


def mark_downstream(
    con: duckdb.DuckDBPyConnection,
    *,
    day: PlantDay | None = None,
    partitions: PartitionConfig | None = None,
    clock: Clock | None = None,
    schemas: Sequence[str] = ("main",),
) -> int:
    """Rewrite ``dq_downstream_mark``: every partition (primary scheme) of every table downstream of a
    failed partition, with the failure it inherits (explicit edges included). Returns how many marks."""
    gate = Gate(con, day=day, partitions=partitions, schemas=schemas)
    now: datetime = (clock or SystemClock()).now()
    failures = [r.failure for r in gate.results if r.blocking]
    rows: set[tuple[str, str, str, str, str]] = set()
    for child, coords in gate.all_coordinates(
        {d for f in failures for d in descendants(gate.table_parents, f.partition.table)}
    ).items():
        for f in failures:
            if child not in descendants(gate.table_parents, f.partition.table):
                continue
            failed_dims = gate.dims_of(f.partition.table, f.partition.partition)
            for key, coord in coords:
                if overlap(failed_dims, coord):
                    rows.add((child, key, f.partition.table, f.partition.partition, f.check))
    for f in failures:
        for marked in propagate([f.partition], gate.edges):
            rows.add((marked.table, marked.partition, f.partition.table, f.partition.partition, f.check))
    con.execute(DOWNSTREAM_MARK_DDL)
    con.execute("DELETE FROM dq_downstream_mark")
    if rows:
        con.execute(f"INSERT INTO dq_downstream_mark VALUES {values_sql([(*r, now) for r in sorted(rows)])}")
    return len(rows)
