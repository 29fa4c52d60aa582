"""Explicit partition lineage, and the latest DQ results that verdicts are made of.

Most lineage between partitions follows from the table DAG and the partition schemes (:mod:`verdicts`).
What that rule cannot see is recorded here edge by edge (:func:`record_partition_lineage` →
``partition_lineage``): a weekly roll-up built from named days, a model computed outside the warehouse.
:func:`propagate` is the pure graph walk: failed partitions + edges → everything downstream, transitively.
:func:`latest_results` reads the newest result of every check on every partition from ``dq_result``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from plantloop.dataplatform.governance.sql_text import values_sql
from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.kernel.clock import Clock, SystemClock

PARTITION_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS partition_lineage (
  upstream_table VARCHAR NOT NULL, upstream_partition VARCHAR NOT NULL,
  downstream_table VARCHAR NOT NULL, downstream_partition VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)
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
    if not table_exists(con, "partition_lineage"):  # reads never run DDL: a build may be writing
        return []
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
class LatestResult:
    """The latest result of one check on one partition."""

    partition: PartitionRef
    check: str
    passed: bool
    severity: str
    failure: FailedCheck

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity != "warn"


def latest_results(con: duckdb.DuckDBPyConnection) -> list[LatestResult]:
    """The latest result of every (table, partition, check)."""
    if not table_exists(con, "dq_result"):
        return []
    rows = con.execute(
        "SELECT table_name, partition_key, check_name, passed, severity, observed, expected, evaluated_at "
        "FROM dq_result QUALIFY row_number() OVER (PARTITION BY table_name, partition_key, check_name "
        "ORDER BY evaluated_at DESC, run_id DESC) = 1"
    ).fetchall()
    out = []
    for table, key, check, passed, severity, observed, expected, at in rows:
        ref = PartitionRef(str(table), str(key))
        failure = FailedCheck(ref, str(check), observed, expected or "", at)
        out.append(LatestResult(ref, str(check), bool(passed), str(severity), failure))
    return out


def failed_partitions(con: duckdb.DuckDBPyConnection) -> set[PartitionRef]:
    """Partitions whose latest result of some blocking check failed."""
    return {r.partition for r in latest_results(con) if r.blocking}
