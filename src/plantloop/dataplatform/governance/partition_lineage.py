"""Partition lineage and DQ verdicts: may downstream code (and the decision layer) act on partition P?

Warehouse models record which partitions they built each output partition from
(:func:`record_partition_lineage` → ``partition_lineage``). :func:`propagate` is the pure graph walk:
failed partitions + lineage edges → every downstream partition built on them, transitively.
:func:`partition_verdict` reads the latest DQ results of a partition *and of everything upstream of it*
and says whether it is OK, with the failing checks; the decision layer refuses to act when
``verdict.actionable`` is false. :func:`mark_downstream` stores the current marks (``dq_partition_mark``)
for tables and reports that want a flag column rather than a call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from plantloop.dataplatform.governance.quality import DQ_RESULT_DDL
from plantloop.dataplatform.governance.sql_text import values_sql
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.ids import new_id

PARTITION_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS partition_lineage (
  upstream_table VARCHAR NOT NULL, upstream_partition VARCHAR NOT NULL,
  downstream_table VARCHAR NOT NULL, downstream_partition VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)
"""

MARK_DDL = """
CREATE TABLE IF NOT EXISTS dq_partition_mark (
  run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, partition_key VARCHAR NOT NULL,
  because_table VARCHAR NOT NULL, because_partition VARCHAR NOT NULL, marked_at TIMESTAMPTZ NOT NULL)
"""


@dataclass(frozen=True, order=True)
class PartitionRef:
    table: str
    partition: str

    def __str__(self) -> str:
        return f"{self.table}[{self.partition}]"


@dataclass(frozen=True)
class LineageEdge:
    upstream: PartitionRef
    downstream: PartitionRef


def propagate(
    failed: Iterable[PartitionRef], edges: Iterable[LineageEdge]
) -> dict[PartitionRef, PartitionRef]:
    """Every partition downstream of a failed one (transitively) → one failed partition it was built on."""
    children: dict[PartitionRef, list[PartitionRef]] = {}
    for edge in edges:
        children.setdefault(edge.upstream, []).append(edge.downstream)
    marked: dict[PartitionRef, PartitionRef] = {}
    queue: deque[tuple[PartitionRef, PartitionRef]] = deque((f, f) for f in sorted(set(failed)))
    while queue:
        node, origin = queue.popleft()
        for child in sorted(children.get(node, [])):
            if child not in marked:
                marked[child] = origin
                queue.append((child, origin))
    return marked


def record_partition_lineage(
    con: duckdb.DuckDBPyConnection, edges: Iterable[LineageEdge], clock: Clock | None = None
) -> None:
    """Store edges (idempotent: an edge recorded twice is kept once)."""
    con.execute(PARTITION_LINEAGE_DDL)
    now = (clock or SystemClock()).now()
    known = set(load_partition_lineage(con))
    rows = sorted(
        {
            (e.upstream.table, e.upstream.partition, e.downstream.table, e.downstream.partition)
            for e in edges
            if e not in known
        }
    )
    if rows:
        con.execute(f"INSERT INTO partition_lineage VALUES {values_sql([(*r, now) for r in rows])}")


def load_partition_lineage(con: duckdb.DuckDBPyConnection) -> list[LineageEdge]:
    con.execute(PARTITION_LINEAGE_DDL)
    rows = con.execute(
        "SELECT upstream_table, upstream_partition, downstream_table, downstream_partition "
        "FROM partition_lineage"
    ).fetchall()
    return [LineageEdge(PartitionRef(a, b), PartitionRef(c, d)) for a, b, c, d in rows]


@dataclass(frozen=True)
class FailedCheck:
    partition: PartitionRef
    check: str
    observed: float | None
    expected: str
    evaluated_at: datetime


@dataclass(frozen=True)
class Verdict:
    """The DQ state of one partition and of everything it was built from."""

    partition: PartitionRef
    failing: tuple[FailedCheck, ...]  # its own blocking failures
    upstream_failing: tuple[FailedCheck, ...]  # blocking failures of partitions upstream of it
    checked: bool  # at least one DQ result exists for it or for something upstream
    upstream: tuple[PartitionRef, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failing and not self.upstream_failing

    @property
    def actionable(self) -> bool:
        """What the decision layer asks: OK, and not merely because nothing was checked."""
        return self.ok and self.checked


def _latest_failures(con: duckdb.DuckDBPyConnection) -> tuple[set[PartitionRef], list[FailedCheck]]:
    """Partitions that have any latest result, and the latest blocking failures."""
    con.execute(DQ_RESULT_DDL)
    rows = con.execute(
        "SELECT table_name, partition_key, check_name, passed, severity, observed, expected, evaluated_at "
        "FROM dq_result QUALIFY row_number() OVER (PARTITION BY table_name, partition_key, check_name "
        "ORDER BY evaluated_at DESC, run_id DESC) = 1"
    ).fetchall()
    checked = {PartitionRef(r[0], r[1]) for r in rows}
    failures = [
        FailedCheck(PartitionRef(r[0], r[1]), r[2], r[5], r[6] or "", r[7])
        for r in rows
        if not r[3] and r[4] != "warn"
    ]
    return checked, failures


def _ancestors(target: PartitionRef, edges: list[LineageEdge]) -> list[PartitionRef]:
    parents: dict[PartitionRef, list[PartitionRef]] = {}
    for edge in edges:
        parents.setdefault(edge.downstream, []).append(edge.upstream)
    seen: set[PartitionRef] = set()
    queue = deque([target])
    while queue:
        for parent in parents.get(queue.popleft(), []):
            if parent not in seen and parent != target:
                seen.add(parent)
                queue.append(parent)
    return sorted(seen)


def partition_verdict(con: duckdb.DuckDBPyConnection, table: str, partition: str) -> Verdict:
    """Is partition ``partition`` of ``table`` — and every partition it was built from — OK?"""
    me = PartitionRef(table, partition)
    upstream = _ancestors(me, load_partition_lineage(con))
    checked, failures = _latest_failures(con)
    ups = set(upstream)
    return Verdict(
        partition=me,
        failing=tuple(f for f in failures if f.partition == me),
        upstream_failing=tuple(
            sorted((f for f in failures if f.partition in ups), key=lambda f: (f.partition, f.check))
        ),
        checked=me in checked or bool(ups & checked),
        upstream=tuple(upstream),
    )


def failed_partitions(con: duckdb.DuckDBPyConnection) -> set[PartitionRef]:
    """Partitions whose latest result of some blocking check failed."""
    return {f.partition for f in _latest_failures(con)[1]}


def mark_downstream(
    con: duckdb.DuckDBPyConnection, *, run_id: str | None = None, clock: Clock | None = None
) -> dict[PartitionRef, PartitionRef]:
    """Propagate current failures over stored lineage and store the marks of this run."""
    marks = propagate(failed_partitions(con), load_partition_lineage(con))
    con.execute(MARK_DDL)
    run_id = run_id or new_id()
    now = (clock or SystemClock()).now()
    con.executemany(
        "INSERT INTO dq_partition_mark VALUES (?, ?, ?, ?, ?, ?)",
        [[run_id, p.table, p.partition, o.table, o.partition, now] for p, o in sorted(marks.items())],
    )
    return marks
