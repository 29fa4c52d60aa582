"""The MES outbox as a source: exactly once, because the position commits with the rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from plantloop.collect.connectors.mes_outbox import OutboxCollector
from plantloop.collect.connectors.outbox_twins import InMemoryOutbox, SqliteOutbox
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxReader
from tests.unit.collect.conftest import T0


def _envelopes(n: int, start: int = 0) -> list[EventEnvelope]:
    return [
        EventEnvelope.create(
            type="OperationCompleted",
            source="mes",
            key=("WO-1", i),
            occurred_at=T0 + timedelta(minutes=i),
            subject="WO-1",
            payload={"qty_good": i},
        )
        for i in range(start, start + n)
    ]


class _ColumnarSqlite(SqliteOutbox):
    """The SQLite twin read the way the MES database is read: columnar pages through SQLAlchemy."""

    def fetch_page(self, after_seq: int, limit: int) -> pa.Table:
        return self.pages().fetch_page(after_seq, limit)


@pytest.fixture(params=["memory", "sqlite", "sqlite-columnar"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> InMemoryOutbox | SqliteOutbox:
    if request.param == "memory":
        return InMemoryOutbox()
    if request.param == "sqlite":
        return SqliteOutbox(tmp_path / "outbox.db")
    return _ColumnarSqlite(tmp_path / "outbox.db")


def test_the_collector_lands_every_outbox_record_once_and_commits_its_position(
    outbox: InMemoryOutbox | SqliteOutbox, landing: Landing, store: OdsStore
) -> None:
    outbox.append(_envelopes(25))
    reader: OutboxReader = outbox
    collector = OutboxCollector(reader, landing, batch_size=10)
    assert collector.drain() == 25
    assert store.checkpoint("mes") == "25"
    outbox.append(_envelopes(5, start=25))
    assert collector.drain() == 5
    assert store.query("SELECT count(*), count(DISTINCT event_id) FROM ods_mes__events") == [(30, 30)]
    assert collector.lag() == 0


def test_a_crash_mid_page_lands_nothing_of_that_page_and_the_restart_resumes_after_the_last_commit(
    outbox: InMemoryOutbox | SqliteOutbox, landing: Landing, store: OdsStore
) -> None:
    outbox.append(_envelopes(30))
    collector = OutboxCollector(outbox, landing, batch_size=10)
    collector.poll_once()
    original = store.land
    calls = {"n": 0}

    def crash(*args: object, **kw: object) -> object:
        calls["n"] += 1
        raise RuntimeError("power cut")

    store.land = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        collector.poll_once()
    store.land = original  # type: ignore[method-assign]
    assert store.checkpoint("mes") == "10"
    assert OutboxCollector(outbox, landing, batch_size=10).drain() == 20
    assert store.query("SELECT count(*) FROM ods_mes__events") == [(30,)]
    offered = store.query("SELECT sum(offered), sum(duplicates) FROM ingest_ledger")
    assert offered == [(30, 0)]


def test_envelopes_keep_their_ids_types_and_subjects(
    outbox: InMemoryOutbox | SqliteOutbox, landing: Landing, store: OdsStore
) -> None:
    envelopes = _envelopes(3)
    outbox.append(envelopes)
    OutboxCollector(outbox, landing).drain()
    rows = store.query(
        "SELECT CAST(event_id AS VARCHAR), type, subject FROM ods_mes__events ORDER BY occurred_at"
    )
    assert rows == [(e.id, "OperationCompleted", "WO-1") for e in envelopes]
