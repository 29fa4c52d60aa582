"""Decision lineage: which table partitions a decision (schedule, hold, maintenance order) was built on.

``dp_decision_lineage`` is append-only; the catalog joins it with governance's DQ results so that one
can ask "was this decision made on data that later failed a check?".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

DECISION_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS main.dp_decision_lineage (
  decision_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, partition_key VARCHAR NOT NULL,
  metric_version VARCHAR, recorded_at TIMESTAMPTZ NOT NULL)
"""


def record_decision_inputs(
    con: duckdb.DuckDBPyConnection,
    decision_id: str,
    partitions: Iterable[tuple[str, str]],
    *,
    metric_version: str | None = None,
    at: datetime | None = None,
) -> int:
    """Record that ``decision_id`` was built on ``(table, partition_key)`` pairs; returns how many."""
    when = at or datetime.now(UTC)
    rows = [(decision_id, t, p, metric_version, when) for t, p in sorted(set(partitions))]
    con.execute(DECISION_LINEAGE_DDL)
    if rows:
        con.executemany("INSERT INTO main.dp_decision_lineage VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def decision_inputs(con: duckdb.DuckDBPyConnection, decision_id: str) -> list[dict[str, Any]]:
    """The partitions of one decision, each with its latest DQ verdict when governance recorded one."""
    con.execute(DECISION_LINEAGE_DDL)
    has_dq = bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'dq_result'"
        ).fetchone()[0]  # type: ignore[index]
    )
    dq = (
        "(SELECT CASE WHEN count(*) = 0 THEN NULL WHEN bool_and(passed) THEN 'pass' ELSE 'fail' END "
        " FROM dq_result r WHERE r.table_name = d.table_name AND r.partition_key = d.partition_key)"
        if has_dq
        else "NULL"
    )
    cursor = con.execute(
        f"SELECT decision_id, table_name, partition_key, metric_version, recorded_at, {dq} AS dq_status "
        "FROM main.dp_decision_lineage d WHERE decision_id = ? ORDER BY table_name, partition_key",
        [decision_id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
