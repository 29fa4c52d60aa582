"""Twins of the MES outbox (kernel ``OutboxReader``): in memory, and a SQLite file shaped like the MES's.

The in-memory twin is for unit tests. The SQLite twin writes the MES outbox table's columns (``seq``,
the envelope fields, naive-UTC timestamps as SQLAlchemy stores them on SQLite), so a separate process can
append while :class:`~plantloop.collect.connectors.mes_outbox.SqlOutboxPages` reads it exactly as it
reads the real MES database.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from plantloop.collect.connectors.mes_outbox import SqlOutboxPages
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxRecord

_DDL = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id VARCHAR(36) NOT NULL UNIQUE,
    type VARCHAR(100) NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_at DATETIME NOT NULL,
    recorded_at DATETIME NOT NULL,
    source VARCHAR(200) NOT NULL,
    equipment_path VARCHAR(500),
    subject VARCHAR(200),
    payload TEXT NOT NULL
)"""


class InMemoryOutbox:
    def __init__(self) -> None:
        self.records: list[OutboxRecord] = []

    def append(self, envelopes: Iterable[EventEnvelope]) -> None:
        for env in envelopes:
            self.records.append(OutboxRecord(len(self.records) + 1, env))

    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        return self.records[after_seq : after_seq + limit]

    def last_seq(self) -> int:
        return len(self.records)


def _naive_utc(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SqliteOutbox:
    """An outbox table in SQLite (WAL), shaped like the MES's. Safe for one writer and many readers."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_DDL)
            self._conn.commit()

    def append(self, envelopes: Iterable[EventEnvelope]) -> None:
        rows = [
            (
                e.id,
                e.type,
                e.schema_version,
                _naive_utc(e.occurred_at),
                _naive_utc(e.recorded_at),
                e.source,
                e.equipment_path,
                e.subject,
                e.payload_json(),
            )
            for e in envelopes
        ]
        with self._lock:
            self._conn.executemany(
                "INSERT INTO outbox (id, type, schema_version, occurred_at, recorded_at, source, "
                "equipment_path, subject, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.commit()

    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, id, type, schema_version, occurred_at, recorded_at, source, equipment_path, "
                "subject, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [
            OutboxRecord(
                int(seq),
                EventEnvelope(
                    id=eid,
                    type=typ,
                    schema_version=version,
                    occurred_at=datetime.fromisoformat(occurred),
                    recorded_at=datetime.fromisoformat(recorded),
                    source=source,
                    equipment_path=path,
                    subject=subject,
                    payload=json.loads(payload),
                ),
            )
            for seq, eid, typ, version, occurred, recorded, source, path, subject, payload in rows
        ]

    def last_seq(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
        return int(row[0])

    def pages(self) -> SqlOutboxPages:
        """The columnar reader a collector uses (its own SQLAlchemy engine on the same file)."""
        return SqlOutboxPages(sa.create_engine(f"sqlite:///{self.path}"))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
