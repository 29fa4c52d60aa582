"""Decision lineage: which partitions a decision (schedule, hold, maintenance order) was built on.

``dp_decision_lineage`` is append-only: one row per (decision, table, partition) with the decision's kind
and the DQ verdict of that partition *when the decision was recorded*. :func:`decision_inputs` adds the
verdict *now*, so one can ask "was this decision made on data that later failed a check?", and
:func:`decisions_on` answers the reverse: which decisions were built on a partition that failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.dataplatform.governance.verdicts import Gate
from plantloop.kernel.errors import InvalidInput

DECISION_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS main.dp_decision_lineage (
  decision_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
  partition_key VARCHAR NOT NULL, dq_passed_at_decision BOOLEAN, dq_failed_at_decision VARCHAR,
  model_version VARCHAR, recorded_at TIMESTAMPTZ NOT NULL)
"""


def record_decision_inputs(
    con: duckdb.DuckDBPyConnection,
    decision_id: str,
    kind: str,
    partitions: Iterable[tuple[str, str]],
    *,
    gate: Gate | None = None,
    model_version: str | None = None,
    at: datetime | None = None,
) -> int:
    """Record that ``decision_id`` (of ``kind``) was built on ``(table, partition_key)`` pairs, with each
    partition's verdict now when a ``gate`` is given; returns how many rows. Idempotent per decision:
    recording the same decision again adds only partitions not recorded yet."""
    if not decision_id or not kind:
        raise InvalidInput("a decision needs an id and a kind", decision_id=decision_id, kind=kind)
    when = at or datetime.now(UTC)
    con.execute(DECISION_LINEAGE_DDL)
    known = {
        (str(t), str(p))
        for t, p in con.execute(
            "SELECT table_name, partition_key FROM main.dp_decision_lineage WHERE decision_id = ?",
            [decision_id],
        ).fetchall()
    }
    rows = []
    for table, partition in sorted(set(partitions) - known):
        passed: bool | None = None
        failed: str | None = None
        if gate is not None:
            verdict = gate.verdict(table, partition)
            passed, failed = verdict.ok, "; ".join(verdict.reasons()) or None
        rows.append((decision_id, kind, table, partition, passed, failed, model_version, when))
    if rows:
        con.executemany("INSERT INTO main.dp_decision_lineage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def decision_inputs(
    con: duckdb.DuckDBPyConnection, decision_id: str, gate: Gate | None = None
) -> list[dict[str, Any]]:
    """The partitions of one decision: the verdict then, and (with a ``gate``) the verdict now."""
    if not table_exists(con, "dp_decision_lineage"):
        return []
    cursor = con.execute(
        "SELECT decision_id, kind, table_name, partition_key, dq_passed_at_decision, dq_failed_at_decision, "
        "model_version, recorded_at FROM main.dp_decision_lineage WHERE decision_id = ? "
        "ORDER BY table_name, partition_key",
        [decision_id],
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    if gate is not None:
        for row in rows:
            verdict = gate.verdict(row["table_name"], row["partition_key"])
            row["dq_status_now"] = "fail" if not verdict.ok else ("pass" if verdict.checked else "unchecked")
            row["dq_failed_now"] = verdict.reasons()
    return rows


def decisions_on(con: duckdb.DuckDBPyConnection, table: str, partition: str | None = None) -> list[str]:
    """Ids of the decisions built on ``table`` (one partition of it, when given)."""
    if not table_exists(con, "dp_decision_lineage"):
        return []
    sql = "SELECT DISTINCT decision_id FROM main.dp_decision_lineage WHERE table_name = ?"
    params = [table]
    if partition is not None:
        sql += " AND partition_key = ?"
        params.append(partition)
    return sorted(str(r[0]) for r in con.execute(sql + " ORDER BY 1", params).fetchall())
