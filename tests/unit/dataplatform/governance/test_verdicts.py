"""DQ verdicts by the overlap rule over the table lineage: what is tainted, what is not, and the gate."""

from __future__ import annotations

from datetime import time

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    dq_verdict,
    evaluate_quality,
    mark_downstream,
    parse_quality_config,
    partition_verdict,
    record_table_lineage,
)
from plantloop.dataplatform.governance.dq_report import dq_report
from plantloop.dataplatform.governance.partitions import PartitionConfig, PlantDay
from plantloop.kernel.clock import FakeClock

DAY = PlantDay("UTC", time(0))
CHECK = {"name": "equipment_complete", "kind": "completeness", "column": "equipment_id"}
REGISTRY = PartitionConfig.model_validate(
    {
        "tables": {
            "dwd_x": [{"day": "CAST(made_at AS DATE)", "line": "line_id"}, {"lot": "lot_id"}],
            "ads_x": [{"day": "day", "line": "line_id"}],
            "ads_plant": [{"day": "day"}],
        }
    }
)


@pytest.fixture
def plant_data(con: duckdb.DuckDBPyConnection, clock: FakeClock) -> duckdb.DuckDBPyConnection:
    """dwd_x: lot A made on day 1, line L1 (a row lacks its equipment); lot B day 2, L1; lot C day 1, L2."""
    con.execute(
        "CREATE TABLE dwd_x AS SELECT * FROM (VALUES "
        "(TIMESTAMP '2026-01-01 08:00', 'L1', 'A', 'E1'), (TIMESTAMP '2026-01-01 09:00', 'L1', 'A', NULL), "
        "(TIMESTAMP '2026-01-02 08:00', 'L1', 'B', 'E1'), (TIMESTAMP '2026-01-01 10:00', 'L2', 'C', 'E2')"
        ") v(made_at, line_id, lot_id, equipment_id)"
    )
    con.execute("CREATE TABLE ads_x AS SELECT DISTINCT CAST(made_at AS DATE) AS day, line_id FROM dwd_x")
    con.execute("CREATE TABLE ads_plant AS SELECT DISTINCT CAST(made_at AS DATE) AS day FROM dwd_x")
    record_table_lineage(con, [("dwd_x", "ads_x"), ("ads_x", "ads_plant")], clock)
    config = parse_quality_config(
        {
            "table": "dwd_x",
            "checks": [{"name": "equipment_complete", "kind": "completeness", "column": "equipment_id"}],
        }
    )
    report = evaluate_quality(con, config, clock=clock, day=DAY, partitions=REGISTRY)
    assert report.failed_partitions() == ["day=2026-01-01/line=L1"]
    return con


def _ok(con: duckdb.DuckDBPyConnection, table: str, key: str) -> bool:
    return partition_verdict(con, table, key, day=DAY, partitions=REGISTRY).ok


def test_a_failed_day_and_line_taints_exactly_what_is_built_on_it(
    plant_data: duckdb.DuckDBPyConnection,
) -> None:
    con = plant_data
    assert not _ok(con, "ads_x", "day=2026-01-01/line=L1")
    assert _ok(con, "ads_x", "day=2026-01-01/line=L2")
    assert _ok(con, "ads_x", "day=2026-01-02/line=L1")
    assert not _ok(con, "ads_plant", "day=2026-01-01")  # the plant's day includes line L1
    assert _ok(con, "ads_plant", "day=2026-01-02")


def test_a_lot_is_judged_by_the_days_and_lines_it_was_made_on(plant_data: duckdb.DuckDBPyConnection) -> None:
    con = plant_data
    assert not _ok(con, "dwd_x", "lot=A")  # made on the failed day and line
    assert _ok(con, "dwd_x", "lot=B")  # same line, next day
    assert _ok(con, "dwd_x", "lot=C")  # same day, other line


def test_the_gate_says_which_input_failed_and_why(plant_data: duckdb.DuckDBPyConnection) -> None:
    passed, failed = dq_verdict(
        plant_data, [("ads_x", "2026-01-02/L1"), ("ads_x", "2026-01-01/L1")], day=DAY, registry=REGISTRY
    )
    assert not passed
    assert failed == [  # the input as the caller named it, then why
        "ads_x[2026-01-01/L1]: dwd_x[day=2026-01-01/line=L1]: check equipment_complete "
        "(observed 0.5, expected <= 0)"
    ]
    assert dq_verdict(plant_data, [("ads_x", "2026-01-02/L1")], day=DAY, registry=REGISTRY) == (True, [])


def test_marks_name_every_downstream_partition_and_the_report_shows_them(
    plant_data: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    assert mark_downstream(plant_data, day=DAY, partitions=REGISTRY, clock=clock) == 2
    marks = plant_data.execute(
        "SELECT table_name, partition_key, because_partition FROM dq_downstream_mark ORDER BY 1"
    ).fetchall()
    assert marks == [
        ("ads_plant", "day=2026-01-01", "day=2026-01-01/line=L1"),
        ("ads_x", "day=2026-01-01/line=L1", "day=2026-01-01/line=L1"),
    ]
    report = {t["table"]: t for t in dq_report(plant_data, only_failed=True)}
    assert [p["partition"] for p in report["ads_plant"]["partitions"]] == ["day=2026-01-01"]
    assert report["dwd_x"]["partitions"][0]["checks"][0]["observed"] == 0.5


def test_a_fixed_partition_clears_the_verdict_and_a_vanished_one_does_not_linger(
    plant_data: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    con = plant_data
    config = parse_quality_config(
        {
            "table": "dwd_x",
            "checks": [{"name": "equipment_complete", "kind": "completeness", "column": "equipment_id"}],
        }
    )
    con.execute("UPDATE dwd_x SET line_id = 'L9' WHERE equipment_id IS NULL")  # the bad row moves away
    clock.advance(60)
    report = evaluate_quality(con, config, clock=clock, day=DAY, partitions=REGISTRY)
    assert report.failed_partitions() == ["day=2026-01-01/line=L9"]
    assert (
        partition_verdict(con, "ads_x", "day=2026-01-01/line=L1", day=DAY, partitions=REGISTRY).reasons()
        == []
    )
    con.execute("UPDATE dwd_x SET equipment_id = 'E9' WHERE equipment_id IS NULL")
    clock.advance(60)
    evaluate_quality(con, config, clock=clock, day=DAY, partitions=REGISTRY)
    assert _ok(con, "ads_plant", "day=2026-01-01")
