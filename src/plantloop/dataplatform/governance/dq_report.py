"""DQ results as people read them: per table, per partition, the latest result of each check, and the
failures a partition inherits from upstream (``dq_downstream_mark``). The CLI (``plantloop platform dq``)
and the API (``GET /governance/dq``) both print this shape.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from plantloop.dataplatform.governance.table_state import table_exists


def dq_report(
    con: duckdb.DuckDBPyConnection, *, table: str | None = None, only_failed: bool = False
) -> list[dict[str, Any]]:
    """``[{table, passed, partitions: [{partition, passed, checks: [...], inherited: [...]}]}]``."""
    if not table_exists(con, "dq_result"):
        return []
    where, params = ("WHERE table_name = ?", [table]) if table else ("", [])
    rows = con.execute(
        "SELECT table_name, partition_key, partition_values, check_name, check_kind, severity, passed, "
        f"observed, expected, detail, evaluated_at, run_id FROM (SELECT * FROM dq_result {where} "
        "QUALIFY row_number() OVER (PARTITION BY table_name, partition_key, check_name "
        "ORDER BY evaluated_at DESC, run_id DESC) = 1) ORDER BY table_name, partition_key, check_name",
        params,
    ).fetchall()
    inherited: dict[tuple[str, str], list[dict[str, str]]] = {}
    if table_exists(con, "dq_downstream_mark"):
        mark_where, mark_params = ("WHERE table_name = ?", [table]) if table else ("", [])
        for t, p, bt, bp, check in con.execute(
            "SELECT table_name, partition_key, because_table, because_partition, check_name "
            f"FROM dq_downstream_mark {mark_where} ORDER BY 1, 2, 3, 4, 5",
            mark_params,
        ).fetchall():
            inherited.setdefault((str(t), str(p)), []).append(
                {"table": str(bt), "partition": str(bp), "check": str(check)}
            )
    tables: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for t, p, values, check, kind, severity, passed, observed, expected, detail, at, run_id in rows:
        part = tables.setdefault(str(t), {}).setdefault(
            (str(t), str(p)),
            {"partition": str(p), "values": json.loads(values or "{}"), "passed": True, "checks": []},
        )
        part["checks"].append(
            {
                "check": check,
                "kind": kind,
                "severity": severity,
                "passed": bool(passed),
                "observed": observed,
                "expected": expected,
                "detail": detail or "",
                "evaluated_at": at.isoformat() if at is not None else None,
                "run_id": run_id,
            }
        )
        if not passed and severity != "warn":
            part["passed"] = False
    for (t, p), marks in inherited.items():
        part = tables.setdefault(t, {}).setdefault(
            (t, p), {"partition": p, "values": {}, "passed": True, "checks": []}
        )
        part["inherited"] = marks
    out = []
    for name in sorted(tables):
        parts = sorted(tables[name].values(), key=lambda x: x["partition"])
        for part in parts:
            part.setdefault("inherited", [])
            part["ok"] = part["passed"] and not part["inherited"]
        if only_failed:
            parts = [x for x in parts if not x["ok"]]
            if not parts:
                continue
        out.append({"table": name, "passed": all(x["passed"] for x in parts), "partitions": parts})
    return out
