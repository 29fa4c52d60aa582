"""Legacy MES database pull by watermark, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plantloop.collect.connectors.legacy_db import LegacyDbPuller, LegacyTableConfig
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.dataplatform.ingest import OdsStore
from plantloop.sim.transports.legacy_db import LegacyMesWriter, ProductionReport

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _reports(n: int, start: int = 0) -> list[ProductionReport]:
    return [
        ProductionReport(f"WO-{i:04d}", "AS-11", T0 + timedelta(minutes=i), qty_good=10 + i, qty_scrap=i % 2)
        for i in range(start, start + n)
    ]


def _check_incremental_pull(url: str, landing: Landing, store: OdsStore) -> None:
    writer = LegacyMesWriter(url, timezone="Asia/Shanghai")
    writer.write(_reports(7))
    config = LegacyTableConfig("T_PROD_REPORT", timezone="Asia/Shanghai")
    puller = LegacyDbPuller(url, landing, [config], source="legacy:mes1", batch_size=3)
    assert puller.pull_all() == {"legacy:mes1/T_PROD_REPORT": 7}
    writer.write(_reports(4, start=7))
    assert puller.pull_all() == {"legacy:mes1/T_PROD_REPORT": 4}
    assert puller.pull_all() == {"legacy:mes1/T_PROD_REPORT": 0}
    assert store.checkpoint("legacy:mes1/T_PROD_REPORT") == "11"
    rows = store.query("SELECT occurred_at, payload FROM ods_legacy__t_prod_report ORDER BY occurred_at")
    assert len(rows) == 11
    first = json.loads(rows[0][1])
    assert set(first) == {"RecID", "WorkNo", "EquipCode", "ReportTime", "QtyOK", "QtyNG", "OperatorNo"}
    assert first["ReportTime"].startswith("2026-01-05T14:00")  # local wall-clock time, as written
    assert rows[0][0] == T0  # the event time, read as Asia/Shanghai
    (status,) = source_status(store)
    assert (status.offered, status.landed, status.duplicates) == (11, 11, 0)
    puller.close()
    writer.close()


def test_a_sqlite_legacy_table_is_pulled_incrementally_without_repeats(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    _check_incremental_pull(f"sqlite:///{tmp_path / 'legacy.db'}", landing, store)


@pytest.mark.postgres
def test_a_postgresql_legacy_table_is_pulled_incrementally_without_repeats(
    postgres_db: str, landing: Landing, store: OdsStore
) -> None:
    _check_incremental_pull(postgres_db, landing, store)
