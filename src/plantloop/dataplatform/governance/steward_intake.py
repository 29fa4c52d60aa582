"""How codes enter and leave the steward queue without a person: queued, counted again, auto-matched.

The crosswalk calls these while resolving; :mod:`steward` is the person's side (review and resolve).
Every entry and automatic exit writes a ``steward_audit`` row, so the queue's history is complete.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from plantloop.dataplatform.governance.crosswalk_matching import MatchResult, Outcome
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity, StewardReason, StewardStatus
from plantloop.kernel.ids import deterministic_id, new_id


def steward_item_id(entity: MasterEntity, system: str, code: str) -> str:
    """One item per (entity, system, code), whatever how often the code shows up."""
    return deterministic_id("steward", entity.value, system, code)


def item_status(con: duckdb.DuckDBPyConnection, item_id: str) -> StewardStatus | None:
    row = con.execute("SELECT status FROM steward_queue WHERE item_id = ?", [item_id]).fetchone()
    return StewardStatus(row[0]) if row else None


def count_again(con: duckdb.DuckDBPyConnection, item_id: str, now: datetime) -> None:
    con.execute(
        "UPDATE steward_queue SET occurrences = occurrences + 1, last_seen_at = ? WHERE item_id = ?",
        [now, item_id],
    )


def enqueue(
    con: duckdb.DuckDBPyConnection,
    item_id: str,
    entity: MasterEntity,
    system: str,
    code: str,
    name: str | None,
    result: MatchResult,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Queue a code that matched nothing or several candidates (or count it again if queued)."""
    reason = StewardReason.AMBIGUOUS if result.outcome is Outcome.AMBIGUOUS else StewardReason.NO_MATCH
    candidates = json.dumps(
        [{"canonical_id": c.canonical_id, "score": c.score, "rule": c.rule.value} for c in result.candidates]
    )
    if item_status(con, item_id) is not None:
        count_again(con, item_id, now)
        con.execute(
            "UPDATE steward_queue SET reason = ?, candidates = ?, source_name = coalesce(?, source_name) "
            "WHERE item_id = ?",
            [reason.value, candidates, name, item_id],
        )
        return
    con.execute(
        "INSERT INTO steward_queue VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL, NULL, NULL, NULL)",
        [
            item_id,
            entity.value,
            system,
            code,
            name,
            reason.value,
            candidates,
            StewardStatus.OPEN.value,
            now,
            now,
        ],
    )
    con.execute(
        "INSERT INTO steward_audit VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, NULL, NULL, ?)",
        [new_id(), item_id, entity.value, actor, now, system, code, reason.value],
    )


def auto_close(
    con: duckdb.DuckDBPyConnection,
    item_id: str,
    entity: MasterEntity,
    system: str,
    code: str,
    result: MatchResult,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A queued code that a rule now matches (a new alias, a new golden record) leaves the queue."""
    note = f"matched by {result.rule.value if result.rule else 'rule'}"
    con.execute(
        "UPDATE steward_queue SET status = ?, resolved_at = ?, resolved_by = ?, canonical_id = ?, note = ? "
        "WHERE item_id = ?",
        [StewardStatus.RESOLVED.value, now, actor, result.canonical_id, note, item_id],
    )
    con.execute(
        "INSERT INTO steward_audit VALUES (?, ?, ?, 'auto_matched', ?, ?, ?, ?, ?, NULL, ?)",
        [new_id(), item_id, entity.value, actor, now, system, code, result.canonical_id, note],
    )
