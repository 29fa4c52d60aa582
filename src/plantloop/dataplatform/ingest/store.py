"""OdsStore: lands one batch per DuckDB transaction — ODS rows, quarantine, ledger and checkpoint together.

The hot path is vectorised: the batch arrives as an Arrow table, row checks are SQL predicates evaluated by
DuckDB over the whole batch, duplicates are removed inside the batch (first offer wins) and against what
has landed (same ``event_id`` and ``occurred_at``, looked up only in the batch's time range — see
:mod:`~plantloop.dataplatform.ingest.schema`), and rows are appended with one INSERT per entity. Because
the source's checkpoint is written in the same transaction, a crash either keeps the batch and its offset
or neither: exactly-once for sources that can be re-read from an offset.

One DuckDB file, many users in one process: pass ``connection=`` (any connection on the warehouse file)
and the store works on its own cursor of it, so the collectors, the warehouse build, the live layer and
the UI share one database instance. Never open the file ``read_only`` in a process that also writes it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from plantloop.dataplatform.ingest.schema import (
    BOOKKEEPING_DDL,
    LANDING_SCHEMA,
    ODS_COLUMNS,
    create_ods_table,
)
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
    #: When asked for: one row per outcome (row_no, outcome, reason, message, event_id), in row order.
    outcomes: pa.Table | None = None

    @property
    def rows(self) -> list[RowOutcome]:
        """The outcomes as objects (built on first use: the landing itself stays columnar)."""
        if self.outcomes is None:
            return []
        columns = [c.to_pylist() for c in self.outcomes.columns]
        return [RowOutcome(*row) for row in zip(*columns, strict=True)]

    def add(self, other: LandResult) -> None:
        for name in ("offered", "landed", "quarantined", "duplicates", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.outcomes is not None:
            self.outcomes = (
                other.outcomes if self.outcomes is None else pa.concat_tables([self.outcomes, other.outcomes])
            )


_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _database_lock(key: str) -> threading.RLock:
    """One lock per database file in this process: two stores on one file never land concurrently
    (the duplicate check and the insert must not interleave)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


def _names(derived: Mapping[str, str] | None) -> str:
    return "".join(f", {name}" for name in derived or {})


class OdsStore:
    """The ODS of one DuckDB database; all writes go through one cursor under one lock."""

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        clock: Clock | None = None,
        read_only: bool = False,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        if connection is not None:
            self.path = str(path) if str(path) != ":memory:" else "<shared connection>"
            self._conn = connection.cursor()
        else:
            self.path = str(path)
            self._conn = duckdb.connect(self.path, read_only=read_only)
        self._conn.execute("SET TimeZone = 'UTC'")  # session setting: affects this cursor only
        row = self._conn.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        file = row[0] if row and row[0] else None
        if file and self.path == "<shared connection>":
            self.path = str(file)
        self._lock = _database_lock(str(Path(file).resolve()) if file else f"memory:{id(self)}")
        self._checks_sql: dict[tuple[RowCheck, ...], tuple[str, str]] = {}
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
            return self._conn.execute(sql, params or []).to_arrow_table()

    def transform(self, sql: str, inputs: dict[str, pa.Table], params: Sequence[Any] = ()) -> pa.Table:
        """Run ``sql`` over Arrow ``inputs`` (registered under their names) on the store's cursor."""
        with self._lock:
            for name, table in inputs.items():
                self._conn.register(name, table)
            try:
                return self._conn.execute(sql, list(params)).to_arrow_table()
            finally:
                for name in inputs:
                    self._conn.unregister(name)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the same database instance (its own session), for readers on other threads."""
        return self._conn.cursor()

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
        table = pa.table({"equipment_path": pa.array(sorted(set(paths)), pa.string())})
        with self._lock:
            self._conn.register("_known", table)
            try:
                self._conn.execute("BEGIN TRANSACTION")
                self._conn.execute("DELETE FROM ingest_known_equipment")
                self._conn.execute("INSERT INTO ingest_known_equipment SELECT equipment_path FROM _known")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._conn.unregister("_known")

    def ensure_table(self, table: str) -> None:
        with self._lock:
            if table in self._tables:
                return
            create_ods_table(self._conn, table)
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
        derived: Mapping[str, str] | None = None,
        exact_dedupe: Collection[str] = (),
        checkpoint: str | None = None,
        replay: bool = False,
        want_rows: bool | Literal["rejected"] = False,
    ) -> LandResult:
        """Land ``batch`` (shape :data:`LANDING_SCHEMA`) in one transaction.

        ``derived`` names SQL expressions over the batch that the check conditions may use (computed
        once per row before them). ``want_rows``: ``True`` lists every row's outcome in ``result.rows``
        (landed / duplicate / quarantined), ``"rejected"`` only the quarantined ones, ``False`` none.

        ``exact_dedupe`` names the tables whose event ids do not include the fact's time (REST, legacy
        rows): there a duplicate is looked up over the whole table, not only the batch's time range.
        ``tables`` maps each entity that may land to its ODS table; other entities must be quarantined
        (as ``unknown_contract``) by the caller's checks, else the landing fails and nothing is kept.
        With ``replay`` the rows come from the quarantine (``quarantine_id`` set): passing rows release
        their quarantine row, failing rows stay with the new reason, and the ledger moves the counts from
        quarantined to landed / duplicates.
        """
        if batch.schema != LANDING_SCHEMA:
            batch = batch.select(LANDING_SCHEMA.names).cast(LANDING_SCHEMA)
        now = self.clock.now()
        result = LandResult(batch_id=new_id(), offered=0 if replay else batch.num_rows)
        reason_sql, message_sql = self._compile(tuple(checks))
        with self._lock:
            for table in set(tables.values()):
                self.ensure_table(table)
            conn = self._conn
            conn.register("_batch", batch)
            try:
                conn.execute("BEGIN TRANSACTION")
                # One pass: the verdict and every column the later statements read, except the raw bytes
                # (only failing rows need them: the quarantine reads them from the batch by row_no).
                extra = "".join(f", {expr} AS {name}" for name, expr in (derived or {}).items())
                kept = f"* EXCLUDE (raw, raw_truncated{_names(derived)})"
                conn.execute(
                    f"CREATE OR REPLACE TEMP TABLE _in AS SELECT {kept}, {reason_sql} AS _reason "
                    f"FROM (SELECT *, TRY_CAST(event_id AS UUID) AS _eid{extra} FROM _batch)"
                )
                spans = conn.execute(
                    "SELECT entity, count(*), min(occurred_at), max(occurred_at), "
                    "epoch(?::TIMESTAMPTZ) - epoch(max(recorded_at)) FROM _in "
                    "WHERE _reason IS NULL GROUP BY entity",
                    [now],
                ).fetchall()
                counted = conn.execute("SELECT count(*), count(_reason) FROM _in").fetchone()
                bad = int(counted[1]) if counted else 0
                lags = [float(r[4]) for r in spans if r[4] is not None]
                lag_s = max(lags) if lags else None
                if bad:  # the message of each failing row (the checks are evaluated again, on these only)
                    conn.execute(
                        f"CREATE OR REPLACE TEMP TABLE _bad AS SELECT row_no, {message_sql} AS _message "
                        f"FROM (SELECT *{extra} FROM _in WHERE _reason IS NOT NULL)"
                    )
                self._land_rows(
                    conn,
                    result,
                    source,
                    tables,
                    {str(e): (int(n), lo, hi) for e, n, lo, hi, _lag in spans},
                    now,
                    want_rows is True,
                    exact_dedupe,
                )
                self._quarantine_rows(conn, result, source, kind, parser, now, replay, bad)
                if want_rows:
                    self._row_outcomes(conn, result, want_rows is True)
                if result.landed or result.quarantined or result.duplicates or result.offered:
                    self._count(conn, result, source, kind, now, replay, lag_s)
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

    def _compile(self, checks: tuple[RowCheck, ...]) -> tuple[str, str]:
        """The checks as two CASE expressions (first failing check wins), cached per check list."""
        compiled = self._checks_sql.get(checks)
        if compiled is None:
            reason = "CASE WHEN reject_reason IS NOT NULL THEN reject_reason "
            message = "CASE WHEN reject_reason IS NOT NULL THEN reject_message "
            for check in checks:
                reason += f"WHEN {check.condition} THEN '{check.reason}' "
                message += f"WHEN {check.condition} THEN {check.message} "
            compiled = self._checks_sql[checks] = (reason + "END", message + "END")
        return compiled

    def _land_rows(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        tables: dict[str, str],
        spans: dict[str, tuple[int, datetime, datetime]],
        now: datetime,
        want_rows: bool,
        exact_dedupe: Collection[str],
    ) -> None:
        """Append each entity's new rows: first offer of an id in the batch, not already in its table."""
        cols = ", ".join(ODS_COLUMNS)
        valid = 0
        if want_rows:
            conn.execute("CREATE OR REPLACE TEMP TABLE _landed (row_no BIGINT)")
        for entity in sorted(spans):
            table = tables[entity]
            count, lo, hi = spans[entity]
            valid += count
            # Constant bounds let DuckDB skip every row group outside the batch's time range.
            seen = (
                f"EXISTS (SELECT 1 FROM {table} t WHERE t.event_id = c._eid)"
                if table in exact_dedupe
                else f"EXISTS (SELECT 1 FROM {table} t WHERE t.occurred_at BETWEEN $lo AND $hi "
                "AND t.event_id = c._eid AND t.occurred_at = c.occurred_at)"
            )
            fresh = (
                "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY _eid ORDER BY row_no) AS _rn "
                f"FROM _in WHERE _reason IS NULL AND entity = $entity) AS c WHERE _rn = 1 AND NOT {seen}"
            )
            bounds = {"entity": entity} | ({} if table in exact_dedupe else {"lo": lo, "hi": hi})
            if want_rows:  # the new rows once, to land them and to tell landed from duplicate per row
                conn.execute(f"CREATE OR REPLACE TEMP TABLE _new AS {fresh}", bounds)
                conn.execute("INSERT INTO _landed SELECT row_no FROM _new")
                fresh, bounds = "SELECT * FROM _new", {}
            row = conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT _eid, type, schema_version, occurred_at, recorded_at, "
                f"equipment_path, subject, payload, $source, source_key, $now, $batch FROM ({fresh}) "
                "ORDER BY row_no",
                {**bounds, "source": source, "now": now, "batch": result.batch_id},
            ).fetchone()
            result.landed += int(row[0]) if row else 0
        result.duplicates = valid - result.landed

    def _quarantine_rows(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        kind: str,
        parser: str,
        now: datetime,
        replay: bool,
        bad: int,
    ) -> None:
        if replay:
            if bad:
                conn.execute(
                    "UPDATE ingest_quarantine SET reason = s._reason, message = s._message, "
                    "attempts = attempts + 1 FROM (SELECT quarantine_id AS _qid, _reason, _message FROM _in "
                    "JOIN _bad USING (row_no)) AS s WHERE ingest_quarantine.quarantine_id = s._qid"
                )
            conn.execute(
                "UPDATE ingest_quarantine SET status = 'released', released_at = ?, attempts = attempts + 1 "
                "FROM (SELECT quarantine_id AS _qid FROM _in WHERE _reason IS NULL) AS ok "
                "WHERE ingest_quarantine.quarantine_id = ok._qid",
                [now],
            )
            row = conn.execute("SELECT count(*) FROM _in WHERE _reason IS NULL").fetchone()
            result.released = int(row[0]) if row else 0
        elif bad:
            conn.execute(
                "INSERT INTO ingest_quarantine (quarantine_id, source, kind, entity, parser, source_key, "
                "raw, raw_truncated, reason, message, received_at, batch_id, status, attempts, released_at) "
                "SELECT nextval('ingest_quarantine_seq'), ?, ?, entity, ?, "
                f"source_key, coalesce(raw, encode({_ENVELOPE_JSON})), coalesce(raw_truncated, false), "
                "_reason, _message, ?, ?, 'open', 1, NULL "
                "FROM _in JOIN _bad USING (row_no) "
                "JOIN (SELECT row_no, raw, raw_truncated FROM _batch) AS r USING (row_no) ORDER BY row_no",
                [source, kind, parser, now, result.batch_id],
            )
        result.quarantined = bad

    def _row_outcomes(self, conn: duckdb.DuckDBPyConnection, result: LandResult, every_row: bool) -> None:
        """Each row's outcome in row order (``every_row``), or only the quarantined rows'."""
        if every_row:
            sql = (
                "SELECT row_no, CASE WHEN _reason IS NOT NULL THEN 'quarantined' "
                "WHEN row_no IN (SELECT row_no FROM _landed) THEN 'landed' ELSE 'duplicate' END, "
                "_reason, _message, CAST(_eid AS VARCHAR) FROM _in "
                + ("LEFT JOIN _bad USING (row_no) " if result.quarantined else ", (SELECT NULL AS _message) ")
                + "ORDER BY row_no"
            )
        elif result.quarantined:
            sql = (
                "SELECT row_no, 'quarantined', _reason, _message, NULL FROM _in JOIN _bad USING (row_no) "
                "ORDER BY row_no"
            )
        else:
            return
        result.outcomes = (
            conn.execute(sql)
            .to_arrow_table()
            .rename_columns(["row_no", "outcome", "reason", "message", "event_id"])
        )

    def _count(
        self,
        conn: duckdb.DuckDBPyConnection,
        result: LandResult,
        source: str,
        kind: str,
        now: datetime,
        replay: bool,
        lag_s: float | None,
    ) -> None:
        window = now.replace(second=0, microsecond=0)
        # A replay offers nothing new: what it releases moves from quarantined to landed / duplicates.
        quarantined = -result.released if replay else result.quarantined
        lag_s = None if replay else lag_s
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
                None if lag_s is None else float(lag_s),
                now,
            ],
        )
