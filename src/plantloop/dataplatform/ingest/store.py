"""OdsStore: lands one batch per DuckDB transaction — ODS rows, quarantine, ledger and checkpoint together.

The hot path is vectorised: the batch arrives as an Arrow table, row checks are SQL predicates evaluated by
DuckDB over the whole batch, duplicates are removed inside the batch (first offer wins) and against what
has landed (anti-join on the ``event_id`` primary key), and rows are appended with one INSERT per entity.
Because the source's checkpoint is written in the same transaction, a crash either keeps the batch and
its offset or neither: exactly-once for sources that can be re-read from an offset.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from plantloop.dataplatform.ingest.schema import BOOKKEEPING_DDL, LANDING_SCHEMA, ODS_COLUMNS, ods_table_ddl
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.ids import new_id

_TS = "'%Y-%m-%dT%H:%M:%S.%f+00:00'"
#: A quarantined row without raw bytes (e.g. from the MES outbox) keeps its envelope as JSON, for replay.
_ENVELOPE_JSON = (
    "CAST(json_object('id', event_id, 'type', type, 'schema_version', schema_version, "
    f"'occurred_at', strftime(occurred_at, {_TS}), 'recorded_at', strftime(recorded_at, {_TS}), "
    "'equipment_path', equipment_path, 'subject', subject, "
    "'payload', CASE WHEN json_valid(payload) THEN json(payload) ELSE to_json(payload) END) AS VARCHAR)"
)


@dataclass(frozen=True)
class RowCheck:
    """A row fails with ``reason`` where the SQL ``condition`` is true; ``message`` is a SQL expression."""

    condition: str
    reason: str
    message: str


@dataclass(frozen=True)
class RowOutcome:
    row_no: int
    outcome: str  # landed | duplicate | quarantined
    reason: str | None = None
    message: str | None = None
    event_id: str | None = None


@dataclass
class LandResult:
    batch_id: str
    offered: int = 0
    landed: int = 0
    quarantined: int = 0
    duplicates: int = 0
    released: int = 0
    rows: list[RowOutcome] = field(default_factory=list)


class OdsStore:
    """One DuckDB database; all writes go through one connection under one lock (DuckDB: one writer)."""

    def __init__(
        self, path: Path | str = ":memory:", *, clock: Clock | None = None, read_only: bool = False
    ) -> None:
        self.path = str(path)
        self.clock = clock or SystemClock()
        self._conn = duckdb.connect(self.path, read_only=read_only)
        self._conn.execute("SET TimeZone = 'UTC'")
        self._lock = threading.RLock()
        self._tables: set[str] = set()
        if not read_only:
            for ddl in BOOKKEEPING_DDL:
                self._conn.execute(ddl)
        self._tables = set(self.ods_tables())

    # ---- reading --------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params or []).fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self._lock:
            return self._conn.execute(sql, params or []).fetch_arrow_table()

    def ods_tables(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'ods\\_%' ESCAPE '\\' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        return [r[0] for r in rows]

    def checkpoint(self, source: str) -> str | None:
        rows = self.query("SELECT position FROM ingest_checkpoint WHERE source = ?", [source])
        return rows[0][0] if rows else None

    def events_by_occurred_at(self, table: str, limit: int | None = None) -> pa.Table:
        """Everything landed in ``table`` in shop-floor order: late and out-of-order events are kept."""
        if table not in self._tables:
            raise KeyError(table)
        sql = f"SELECT * FROM {table} ORDER BY occurred_at, event_id"
        return self.query_arrow(sql + (f" LIMIT {int(limit)}" if limit is not None else ""))

    # ---- writing --------------------------------------------------------------------------------
    def set_known_equipment(self, paths: Iterable[str]) -> None:
        table = pa.table({"equipment_path": sorted(set(paths))})
        with self._lock:
            self._conn.execute("BEGIN TRANSACTION")
            self._conn.execute("DELETE FROM ingest_known_equipment")
            self._conn.register("_known", table)
            self._conn.execute("INSERT INTO ingest_known_equipment SELECT equipment_path FROM _known")
            self._conn.unregister("_known")
            self._conn.execute("COMMIT")

    def ensure_table(self, table: str) -> None:
        with self._lock:
            if table in self._tables:
                return
            self._conn.execute(ods_table_ddl(table))
            self._tables.add(table)
            self._refresh_union_view()

    def _refresh_union_view(self) -> None:
        parts = [f"SELECT * FROM {t}" for t in sorted(self._tables)]
        self._conn.execute(
            "CREATE OR REPLACE VIEW ods_events_by_occurred_at AS "
            + " UNION ALL BY NAME ".join(parts)
            + " ORDER BY occurred_at, event_id"
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def put_idempotent_response(self, key: str, source: str, body_sha256: str, response_json: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO ingest_idempotency VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [key, source, body_sha256, response_json, self.clock.now()],
            )

    def land(
        self,
        batch: pa.Table,
        *,
        source: str,
        kind: str,
        parser: str,
        tables: dict[str, str],
        checks: Sequence[RowCheck] = (),
        checkpoint: str | None = None,
        replay: bool = False,
        want_rows: bool = False,
    ) -> LandResult:
        """Land ``batch`` (shape :data:`LANDING_SCHEMA`) in one transaction.

        ``tables`` maps each entity that may land to its ODS table; other entities are quarantined as
        ``unknown_contract`` by the caller's checks. With ``replay`` the rows come from the quarantine
        (``quarantine_id`` set): passing rows release their quarantine row, failing rows stay with the new
        reason, and the ledger moves the counts from quarantined to landed / duplicates.
        """
        batch = batch.select(LANDING_SCHEMA.names).cast(LANDING_SCHEMA)
        now = self.clock.now()
        result = LandResult(batch_id=new_id(), offered=0 if replay else batch.num_rows)
        reason_sql = "CASE WHEN reject_reason IS NOT NULL THEN reject_reason "
        message_sql = "CASE WHEN reject_reason IS NOT NULL THEN reject_message "
        for check in checks:
            reason_sql += f"WHEN {check.condition} THEN '{check.reason}' "
            message_sql += f"WHEN {check.condition} THEN {check.message} "
        reason_sql += "END"
        message_sql += "END"
        with self._lock:
            for table in set(tables.values()):
                self.ensure_table(table)
            conn = self._conn
            conn.register("_batch", batch)
            try:
                conn.execute("BEGIN TRANSACTION")
                conn.execute(
                    "CREATE OR REPLACE TEMP TABLE _in AS SELECT *, TRY_CAST(event_id AS UUID) AS _eid, "
                    f"{reason_sql} AS _reason, CAST(NULL AS VARCHAR) AS _message FROM _batch"
                )
                # Messages only for the (few) failing rows: the checks are evaluated once more there.
                conn.execute(f"UPDATE _in SET _message = {message_sql} WHERE _reason IS NOT NULL")
                self._land_rows(conn, result, source, tables, now, want_rows)
                self._quarantine_rows(conn, result, source, kind, parser, now, replay, want_rows)
                if result.landed or result.quarantined or result.duplicates or result.offered:
                    self._count(conn, result, source, kind, now, replay)
                if checkpoint is not None:
                    conn.execute(
                        "INSERT INTO ingest_checkpoint VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE "
                        "SET position = excluded.position, updated_at = excluded.updated_at",
                        [source, checkpoint, now],
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.unregister("_batch")
        return result

    def _land_rows(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        tables: dict[str, str],
        now: datetime,
        want_rows: bool,
    ) -> None:
        entities = [
            r[0] for r in conn.execute("SELECT DISTINCT entity FROM _in WHERE _reason IS NULL").fetchall()
        ]
        cols = ", ".join(ODS_COLUMNS)
        for entity in entities:
            table = tables[entity]
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM ("
                "  SELECT *, row_number() OVER (PARTITION BY _eid ORDER BY row_no) AS _rn"
                "  FROM _in WHERE _reason IS NULL AND entity = ?"
                f") AS c WHERE _rn = 1 AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.event_id = c._eid)",
                [entity],
            )
            conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT _eid, type, schema_version, occurred_at, recorded_at, "
                "equipment_path, subject, payload, ?, source_key, ?, ? FROM _new ORDER BY row_no",
                [source, now, result.batch_id],
            )
            row = conn.execute("SELECT count(*) FROM _new").fetchone()
            result.landed += int(row[0]) if row else 0
            if want_rows:
                landed = {r[0] for r in conn.execute("SELECT row_no FROM _new").fetchall()}
                for row_no, eid in conn.execute(
                    "SELECT row_no, CAST(_eid AS VARCHAR) FROM _in WHERE _reason IS NULL AND entity = ?",
                    [entity],
                ).fetchall():
                    outcome = "landed" if row_no in landed else "duplicate"
                    result.rows.append(RowOutcome(row_no, outcome, event_id=eid))
        row = conn.execute("SELECT count(*) FROM _in WHERE _reason IS NULL").fetchone()
        result.duplicates = (int(row[0]) if row else 0) - result.landed

    def _quarantine_rows(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        kind: str,
        parser: str,
        now: datetime,
        replay: bool,
        want_rows: bool,
    ) -> None:
        row = conn.execute("SELECT count(*) FROM _in WHERE _reason IS NOT NULL").fetchone()
        bad = int(row[0]) if row else 0
        if replay:
            conn.execute(
                "UPDATE ingest_quarantine SET reason = _in._reason, message = _in._message, "
                "attempts = attempts + 1 FROM _in "
                "WHERE ingest_quarantine.quarantine_id = _in.quarantine_id AND _in._reason IS NOT NULL"
            )
            conn.execute(
                "UPDATE ingest_quarantine SET status = 'released', released_at = ?, attempts = attempts + 1 "
                "FROM _in WHERE ingest_quarantine.quarantine_id = _in.quarantine_id AND _in._reason IS NULL",
                [now],
            )
            row = conn.execute("SELECT count(*) FROM _in WHERE _reason IS NULL").fetchone()
            result.released = int(row[0]) if row else 0
        elif bad:
            conn.execute(
                "INSERT INTO ingest_quarantine SELECT nextval('ingest_quarantine_seq'), ?, ?, entity, ?, "
                f"source_key, coalesce(raw, encode({_ENVELOPE_JSON})), coalesce(raw_truncated, false), "
                "_reason, _message, ?, ?, 'open', 1, NULL FROM _in WHERE _reason IS NOT NULL ORDER BY row_no",
                [source, kind, parser, now, result.batch_id],
            )
        result.quarantined = bad
        if want_rows and bad:
            for row_no, reason, message in conn.execute(
                "SELECT row_no, _reason, _message FROM _in WHERE _reason IS NOT NULL ORDER BY row_no"
            ).fetchall():
                result.rows.append(RowOutcome(row_no, "quarantined", reason, message))
            result.rows.sort(key=lambda r: r.row_no)

    def _count(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        kind: str,
        now: datetime,
        replay: bool,
    ) -> None:
        lag_s = None
        if not replay:
            lag = conn.execute(
                "SELECT epoch(?::TIMESTAMPTZ) - epoch(max(recorded_at)) FROM _in", [now]
            ).fetchone()
            lag_s = float(lag[0]) if lag and lag[0] is not None else None
        window = now.replace(second=0, microsecond=0)
        quarantined = -result.released if replay else result.quarantined
        conn.execute(
            "INSERT INTO ingest_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, window_start) DO UPDATE SET offered = offered + excluded.offered, "
            "landed = landed + excluded.landed, quarantined = quarantined + excluded.quarantined, "
            "duplicates = duplicates + excluded.duplicates, released = released + excluded.released, "
            "lag_s = coalesce(excluded.lag_s, lag_s), last_batch_at = excluded.last_batch_at",
            [
                source,
                kind,
                window,
                result.offered,
                result.landed,
                quarantined,
                result.duplicates,
                result.released,
                lag_s,
                now,
            ],
        )
