"""The health feed reads only what landed since its last poll (RowidCursor) and feeds the watcher."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from plantloop.dataplatform.live.tail import RowidCursor
from plantloop.kernel.clock import FakeClock
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.runtime.health import HealthFeed

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _reader(con: duckdb.DuckDBPyConnection) -> Any:
    return lambda sql, params: con.execute(sql, params or []).fetch_arrow_table()


def test_a_cursor_reads_each_landed_row_once_and_waits_for_a_missing_table() -> None:
    con = duckdb.connect()
    cursor = RowidCursor(_reader(con), "ods_x__y")
    assert cursor.read("a") is None  # not created yet
    con.execute("CREATE TABLE ods_x__y (a INTEGER)")
    con.execute("INSERT INTO ods_x__y VALUES (1), (2)")
    first = cursor.read("a")
    assert first is not None and first.column("a").to_pylist() == [1, 2]
    assert cursor.read("a") is None
    con.execute("INSERT INTO ods_x__y VALUES (3), (4), (5)")
    limited = cursor.read("a", "AND a <> 4", limit=1)
    assert limited is not None and limited.column("a").to_pylist() == [3]
    rest = cursor.read("a", "AND a <> 4")
    assert rest is not None and rest.column("a").to_pylist() == [5]
    with pytest.raises(ValueError):
        RowidCursor(_reader(con), "users; DROP TABLE x")


def test_landed_telemetry_reaches_the_watcher_once(reference_plant: PlantDefinition) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ods_mqtt__telemetry (equipment_path VARCHAR, payload JSON, occurred_at TIMESTAMPTZ)"
    )
    path = reference_plant.equipment_paths["IM-01"]
    rows = [
        (path, json.dumps({"tag": tag, "value": 40.0 + i}), T0 + timedelta(seconds=10 * i))
        for i in range(20)
        for tag in ("temperature_c", "vibration_mm_s", "current_a")
    ]
    con.executemany("INSERT INTO ods_mqtt__telemetry VALUES (?, ?, ?)", rows)
    proposed: list[Any] = []
    feed = HealthFeed(_reader(con), reference_plant.equipment_paths, FakeClock(T0), proposed.append)
    assert feed.poll() == 60
    assert feed.samples == 20 and set(feed.watcher.monitors) == {"IM-01"}
    assert feed.poll() == 0 and feed.samples == 20  # nothing read twice
    status = feed.status("IM-01")
    assert status is not None and status.equipment_id == "IM-01" and not status.warning
    assert feed.status("IM-02") is None and proposed == []
