"""Tables of the ODS landing: the shape a batch must have, the ODS tables, and the bookkeeping tables.

Every ODS table ``ods_<kind>__<entity>`` holds envelope columns plus lineage columns (source, source_key,
ingested_at, batch_id). A fact is stored once: every source derives ``event_id`` from keys that include the
fact's own time (or, for the MES outbox, fixes both once), so two offers of one fact share ``event_id``
*and* ``occurred_at``, and the landing drops a row whose ``(event_id, occurred_at)`` is already there. That
lookup only reads the row groups of the batch's time range (DuckDB zone maps), so it stays cheap on
billions of telemetry rows, where a primary-key index on ``event_id`` would cost a random index insert
per row and memory for every key ever landed.
Bookkeeping: ``ingest_quarantine`` (what failed and why, replayable, reviewable), ``ingest_ledger``
(counts per source per minute), ``ingest_checkpoint`` (per-source offset / watermark),
``ingest_idempotency`` (REST keys).
"""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

#: What :meth:`OdsStore.land` accepts: one row per offered record, in offer order (``row_no``).
LANDING_SCHEMA = pa.schema(
    [
        ("row_no", pa.int64()),
        ("event_id", pa.string()),
        ("entity", pa.string()),
        ("type", pa.string()),
        ("schema_version", pa.int32()),
        ("occurred_at", UTC_TS),
        ("recorded_at", UTC_TS),
        ("equipment_path", pa.string()),
        ("subject", pa.string()),
        ("payload", pa.string()),
        ("source_key", pa.string()),
        ("raw", pa.binary()),
        ("raw_truncated", pa.bool_()),
        ("reject_reason", pa.string()),
        ("reject_message", pa.string()),
        ("quarantine_id", pa.int64()),
    ]
)

ODS_COLUMNS = (
    "event_id",
    "type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "equipment_path",
    "subject",
    "payload",
    "source",
    "source_key",
    "ingested_at",
    "batch_id",
)


def ods_table_ddl(table: str) -> str:
    return f"""
    CREATE TABLE IF NOT EXISTS {table} (
        event_id UUID NOT NULL,
        type VARCHAR NOT NULL,
        schema_version INTEGER NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        recorded_at TIMESTAMPTZ,
        equipment_path VARCHAR,
        subject VARCHAR,
        payload JSON,
        source VARCHAR NOT NULL,
        source_key VARCHAR,
        ingested_at TIMESTAMPTZ NOT NULL,
        batch_id VARCHAR NOT NULL
    )"""


BOOKKEEPING_DDL = (
    "CREATE SEQUENCE IF NOT EXISTS ingest_quarantine_seq",
    """
    CREATE TABLE IF NOT EXISTS ingest_quarantine (
        quarantine_id BIGINT PRIMARY KEY,
        source VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        entity VARCHAR,
        parser VARCHAR NOT NULL,
        source_key VARCHAR,
        raw BLOB,
        raw_truncated BOOLEAN NOT NULL,
        reason VARCHAR NOT NULL,
        message VARCHAR,
        received_at TIMESTAMPTZ NOT NULL,
        batch_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        released_at TIMESTAMPTZ
    )""",
    # review of a record (discarded with a note, by whom): added after the first release of the table
    "ALTER TABLE ingest_quarantine ADD COLUMN IF NOT EXISTS reviewed_by VARCHAR",
    "ALTER TABLE ingest_quarantine ADD COLUMN IF NOT EXISTS review_note VARCHAR",
    "ALTER TABLE ingest_quarantine ADD COLUMN IF NOT EXISTS reviewed_at TIMESTAMPTZ",
    """
    CREATE TABLE IF NOT EXISTS ingest_ledger (
        source VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        window_start TIMESTAMPTZ NOT NULL,
        offered BIGINT NOT NULL,
        landed BIGINT NOT NULL,
        quarantined BIGINT NOT NULL,
        duplicates BIGINT NOT NULL,
        released BIGINT NOT NULL,
        lag_s DOUBLE,
        last_batch_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (source, window_start)
    )""",
    """
    CREATE TABLE IF NOT EXISTS ingest_checkpoint (
        source VARCHAR PRIMARY KEY,
        position VARCHAR NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """
    CREATE TABLE IF NOT EXISTS ingest_idempotency (
        key VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        body_sha256 VARCHAR NOT NULL,
        response JSON NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS ingest_known_equipment (equipment_path VARCHAR PRIMARY KEY)",
)


def create_ods_table(con: duckdb.DuckDBPyConnection, table: str, attempts: int = 5) -> None:
    """Create ODS ``table`` if it is missing, while another cursor of the same database (the landing, or
    the warehouse's build) may be creating it too: DuckDB reports the loser as a write-write conflict on
    the catalog; once the winner has committed, the retried statement finds the table and does nothing."""
    for attempt in range(attempts):
        try:
            con.execute(ods_table_ddl(table))
            return
        except duckdb.TransactionException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
