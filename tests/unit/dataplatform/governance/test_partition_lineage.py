"""Partition verdicts: a failed partition marks everything built on it, and the decision layer can ask."""

from __future__ import annotations

import duckdb

from plantloop.dataplatform.governance import (
    LineageEdge,
    PartitionRef,
    evaluate_quality,
    mark_downstream,
    parse_quality_config,
    partition_verdict,
    propagate,
    record_partition_lineage,
)
from plantloop.kernel.clock import FakeClock

ODS_A = PartitionRef("ods_x", "day=1")
ODS_B = PartitionRef("ods_x", "day=2")
DWD_A = PartitionRef("dwd_x", "day=1")
DWD_B = PartitionRef("dwd_x", "day=2")
DWS_WEEK = PartitionRef("dws_x_week", "week=1")
ADS = PartitionRef("ads_oee", "week=1")
EDGES = [
    LineageEdge(ODS_A, DWD_A),
    LineageEdge(ODS_B, DWD_B),
    LineageEdge(DWD_A, DWS_WEEK),
    LineageEdge(DWD_B, DWS_WEEK),
    LineageEdge(DWS_WEEK, ADS),
]


def test_propagation_marks_every_partition_downstream_transitively() -> None:
    marked = propagate([ODS_A], EDGES)
    assert marked == {DWD_A: ODS_A, DWS_WEEK: ODS_A, ADS: ODS_A}


def test_propagation_leaves_unrelated_partitions_alone() -> None:
    assert propagate([DWD_B], EDGES).keys() == {DWS_WEEK, ADS}
    assert propagate([ADS], EDGES) == {}
    assert propagate([], EDGES) == {}


def test_propagation_survives_a_cycle_in_the_lineage() -> None:
    cyclic = [LineageEdge(DWD_A, DWS_WEEK), LineageEdge(DWS_WEEK, DWD_A)]
    assert propagate([DWD_A], cyclic).keys() == {DWS_WEEK, DWD_A}


def _fail_ods_day_1(con: duckdb.DuckDBPyConnection, clock: FakeClock) -> None:
    con.execute("CREATE TABLE ods_x AS SELECT * FROM (VALUES ('1', NULL), ('2', 'a')) v(day, v)")
    config = parse_quality_config(
        {
            "table": "ods_x",
            "partition": {"day": "day"},
            "checks": [{"name": "v_complete", "kind": "completeness", "column": "v"}],
        }
    )
    evaluate_quality(con, config, clock=clock)


def test_a_failed_partition_fails_the_verdict_of_everything_built_on_it(
    con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    _fail_ods_day_1(con, clock)
    record_partition_lineage(con, EDGES)
    verdict = partition_verdict(con, "ads_oee", "week=1")
    assert not verdict.ok and not verdict.actionable
    assert verdict.failing == ()
    assert [(f.partition, f.check, f.observed) for f in verdict.upstream_failing] == [
        (ODS_A, "v_complete", 1.0)
    ]
    assert set(verdict.upstream) == {str(p) for p in (ODS_A, ODS_B, DWD_A, DWD_B, DWS_WEEK)}


def test_a_partition_built_only_from_good_partitions_is_actionable(
    con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    _fail_ods_day_1(con, clock)
    record_partition_lineage(con, EDGES)
    assert partition_verdict(con, "dwd_x", "day=2").actionable
    assert not partition_verdict(con, "dwd_x", "day=1").ok


def test_an_unchecked_partition_is_ok_but_not_actionable(con: duckdb.DuckDBPyConnection) -> None:
    verdict = partition_verdict(con, "ads_oee", "week=9")
    assert verdict.ok and not verdict.checked and not verdict.actionable


def test_a_later_passing_evaluation_clears_the_failure(
    con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    _fail_ods_day_1(con, clock)
    record_partition_lineage(con, EDGES)
    con.execute("UPDATE ods_x SET v = 'fixed'")
    clock.advance(60)
    config = parse_quality_config(
        {
            "table": "ods_x",
            "partition": {"day": "day"},
            "checks": [{"name": "v_complete", "kind": "completeness", "column": "v"}],
        }
    )
    evaluate_quality(con, config, clock=clock)
    assert partition_verdict(con, "ads_oee", "week=1").actionable


def test_marks_name_every_downstream_partition_with_the_failure_it_inherits(
    con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    _fail_ods_day_1(con, clock)
    record_partition_lineage(con, EDGES)
    record_partition_lineage(con, EDGES)  # idempotent
    assert mark_downstream(con, clock=clock) == 3
    rows = con.execute(
        "SELECT table_name, partition_key, because_table, because_partition, check_name "
        "FROM dq_downstream_mark ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("ads_oee", "week=1", "ods_x", "day=1", "v_complete"),
        ("dwd_x", "day=1", "ods_x", "day=1", "v_complete"),
        ("dws_x_week", "week=1", "ods_x", "day=1", "v_complete"),
    ]
    assert con.execute("SELECT count(*) FROM partition_lineage").fetchone() == (len(EDGES),)
