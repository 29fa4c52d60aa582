"""Twins of the MES outbox (kernel ``OutboxReader``): in memory, and a SQLite table with the same protocol.

The in-memory twin is for unit tests; the SQLite twin is a real table (``seq`` INTEGER PRIMARY KEY,
``envelope`` JSON) that a separate process can append to while the collector reads — the chaos benchmark's
stand-in for the MES database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxRecord


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


class SqliteOutbox:
    """An outbox table in SQLite (WAL). Safe for one writer process and many readers."""

    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS outbox "
                "(seq INTEGER PRIMARY KEY AUTOINCREMENT, envelope TEXT NOT NULL)"
            )
            self._conn.commit()

    def append(self, envelopes: Iterable[EventEnvelope]) -> None:
        with self._lock:
            self._conn.executemany(
                "INSERT INTO outbox (envelope) VALUES (?)", [(e.model_dump_json(),) for e in envelopes]
            )
            self._conn.commit()

    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, envelope FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        return [OutboxRecord(int(seq), EventEnvelope.model_validate_json(text)) for seq, text in rows]

    def last_seq(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
