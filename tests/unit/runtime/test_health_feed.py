"""The health feed reads only what landed since its last poll (RowidCursor) and feeds the watcher in time
order; a restarted feed reads the history again without proposing what was handled in it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from plantloop.dataplatform.live.tail import RowidCursor
from plantloop.kernel.clock import FakeClock
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.maintenance.monitor import MonitorConfig
from plantloop.optimize.maintenance.watch import PredictiveMaintenanceWatcher
from plantloop.runtime import health
from plantloop.runtime.health import HealthFeed
from tests.unit.optimize.maintenance.test_monitor_and_planning import machine_hours

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _reader(con: duckdb.DuckDBPyConnection) -> Any:
    return lambda sql, params: con.execute(sql, params or []).to_arrow_table()


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
    # the newest instant waits for its other channels, which may land with the next poll
    assert feed.samples == 19 and set(feed.watcher.monitors) == {"IM-01"}
    assert feed.poll() == 0 and feed.samples == 19  # nothing read twice
    status = feed.status("IM-01")
    assert status is not None and status.equipment_id == "IM-01" and not status.warning
    assert feed.status("IM-02") is None and proposed == []


PATH = "site/area/line/M1"
SETUP = MonitorConfig(mode_learning_s=4 * 3600.0, baseline_minutes=90, settle_s=600.0)


def _land_hours(con: duckdb.DuckDBPyConnection, first_h: int, chunks: list[dict[str, np.ndarray]]) -> None:
    """Every 10th sample of one-hour 1 Hz chunks, landed as MQTT rows: each instant's tags together."""
    rows = [
        (
            PATH,
            json.dumps({"tag": tag, "value": float(values[i])}),
            T0 + timedelta(hours=first_h + h, seconds=i),
        )
        for h, chunk in enumerate(chunks)
        for i in range(0, 3600, 10)
        for tag, values in chunk.items()
    ]
    con.executemany("INSERT INTO ods_mqtt__telemetry VALUES (?, ?, ?)", rows)


def _event(con: duckdb.DuckDBPyConnection, type_: str, at_h: float, **payload: object) -> None:
    con.execute(
        "INSERT INTO ods_mes__events VALUES (?, ?, ?)",
        [type_, json.dumps(payload), T0 + timedelta(hours=at_h)],
    )


def _feed(con: duckdb.DuckDBPyConnection, now_h: float, proposed: list[Any]) -> HealthFeed:
    watcher = PredictiveMaintenanceWatcher(monitor=SETUP)
    return HealthFeed(
        _reader(con), {"M1": PATH}, FakeClock(T0 + timedelta(hours=now_h)), proposed.append, watcher
    )


def test_a_wearing_machine_is_proposed_once_and_a_restarted_feed_reading_the_history_proposes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ods_mqtt__telemetry (equipment_path VARCHAR, payload JSON, occurred_at TIMESTAMPTZ)"
    )
    con.execute("CREATE TABLE ods_mes__events (type VARCHAR, payload JSON, occurred_at TIMESTAMPTZ)")
    live_proposed: list[Any] = []
    live = _feed(con, 0, live_proposed)
    wear = machine_hours(30, seed=4, wear_from_h=14)
    for h in range(30):  # the plant runs: an hour lands, the feed polls
        _land_hours(con, h, wear[h : h + 1])
        live.clock = FakeClock(T0 + timedelta(hours=h + 1))
        live.poll()
    # telemetry landed as DuckDB hands it (microsecond timestamps) is learned from and scored
    assert [p.subject for p in live_proposed] == ["equipment:M1"]
    status = live.status("M1")
    assert status is not None and status.warning and T0 + timedelta(hours=14) < status.warning_since
    order = {"maintenance_order_id": "MO-1", "equipment_id": "M1"}
    _event(
        con,
        "MaintenanceOrderCreated",
        28,
        **order,
        kind="predictive",
        planned_start_at=str(T0 + timedelta(hours=29)),
        planned_duration_s=1800.0,
    )
    _event(con, "MaintenanceCompleted", 30, **order)
    _land_hours(con, 30, machine_hours(6, seed=5))  # the renewed machine
    live.poll()
    after = live.status("M1")
    assert after is not None and not after.warning and after.threshold != status.threshold  # learned again
    for batch_rows in (200_000, 1_000):  # a restart (big batches), and one far behind (a backlog)
        monkeypatch.setattr(health, "BATCH_ROWS", batch_rows)
        proposed: list[Any] = []
        restarted = _feed(con, 36, proposed)
        catching_up = []
        while restarted.poll():
            catching_up.append(restarted.catching_up)
        assert proposed == []  # the warning of hour ~20 was handled by MO-1, which the history holds
        again = restarted.status("M1")
        assert again is not None and restarted.samples == live.samples
        assert replace(again, score=0.0, health=0.0) == replace(after, score=0.0, health=0.0)
        assert (again.score, again.health) == pytest.approx((after.score, after.health))  # chunked otherwise
        assert [w.maintenance_order_id for w in restarted.watcher.windows] == ["MO-1"]
        assert any(catching_up) == (batch_rows == 1_000)


def test_samples_posted_one_row_at_a_time_are_all_fed() -> None:
    watcher = PredictiveMaintenanceWatcher()
    fed = 0
    for i in range(5):
        for tag in ("temperature_c", "vibration_mm_s", "current_a"):
            row = {
                "equipment_id": "M1",
                "tag": tag,
                "value": 1.0 + i,
                "measured_at": T0 + timedelta(seconds=i),
            }
            fed += watcher.ingest_rows(pd.DataFrame([row]))
    assert fed == 4  # each instant once its successor shows it complete
    assert watcher.flush() == 1 and watcher.flush() == 0
