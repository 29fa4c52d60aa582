"""Data-quality checks per partition: each kind, fixed and rolling expectations, stored history."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    Crosswalk,
    GovernanceConfigError,
    MasterEntity,
    evaluate_quality,
    load_quality_config,
    parse_quality_config,
    shipped_config,
)
from plantloop.dataplatform.governance.crosswalk_store import MatchRule
from plantloop.kernel.clock import FakeClock

EVENTS = """
CREATE TABLE events AS SELECT * EXCLUDE (occurred_text, ingested_text),
  timezone('UTC', occurred_text::TIMESTAMP) AS occurred_at,
  timezone('UTC', ingested_text::TIMESTAMP) AS ingested_at
FROM (VALUES
 ('2026-01-05', 'L1', 'WO-1', 'IM-01', 5,    'running',   '2026-01-05 08:00:00', '2026-01-05 08:01:00'),
 ('2026-01-05', 'L1', 'WO-2', 'IM-01', 5,    'running',   '2026-01-05 08:00:00', '2026-01-05 08:02:00'),
 ('2026-01-05', 'L2', NULL,   'IM-02', -3,   'jumping',   '2026-01-05 08:00:00', '2026-01-05 10:00:00'),
 ('2026-01-05', 'L2', 'WO-3', 'XX',    7,    'completed', '2026-01-05 08:00:00', '2026-01-05 08:00:00'),
 ('2026-01-06', 'L1', 'WO-1', 'IM-01', 5,    'running',   '2026-01-06 08:00:00', '2026-01-06 08:01:00'),
 ('2026-01-06', 'L1', 'WO-1', NULL,    NULL, NULL,        '2026-01-06 08:00:00', '2026-01-06 08:01:00')
) v(day, line_id, order_id, equipment_id, qty_good, state, occurred_text, ingested_text)
"""


@pytest.fixture
def events(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(EVENTS)
    return con


def _run(
    con: duckdb.DuckDBPyConnection, check: dict[str, Any], **kw: Any
) -> dict[str, tuple[bool, float | None]]:
    config = parse_quality_config(
        {"table": "events", "partition": {"day": "day", "line": "line_id"}, "checks": [check]}
    )
    report = evaluate_quality(con, config, **kw)
    return {r.partition_key: (r.passed, r.observed) for r in report.results}


def test_completeness_is_the_null_rate_per_partition(events: duckdb.DuckDBPyConnection) -> None:
    out = _run(events, {"name": "c", "kind": "completeness", "column": "order_id", "expect": {"max": 0.1}})
    assert out == {
        "day=2026-01-05/line=L1": (True, 0.0),
        "day=2026-01-05/line=L2": (False, 0.5),
        "day=2026-01-06/line=L1": (True, 0.0),
    }


def test_uniqueness_counts_rows_beyond_the_first_per_key(events: duckdb.DuckDBPyConnection) -> None:
    out = _run(events, {"name": "u", "kind": "uniqueness", "columns": ["order_id"]})
    assert out["day=2026-01-06/line=L1"] == (False, 1.0)
    assert out["day=2026-01-05/line=L1"] == (True, 0.0)


@pytest.mark.parametrize(
    ("rule", "l2_observed"),
    [
        ({"column": "qty_good", "min": 0}, 0.5),
        ({"column": "state", "values": ["running", "completed"]}, 0.5),
        ({"column": "order_id", "regex": "WO-[0-9]+"}, 0.0),
    ],
)
def test_validity_is_the_share_of_present_values_outside_the_rule(
    events: duckdb.DuckDBPyConnection, rule: dict[str, Any], l2_observed: float
) -> None:
    out = _run(events, {"name": "v", "kind": "validity", **rule})
    assert out["day=2026-01-05/line=L2"] == (l2_observed == 0.0, l2_observed)
    assert out["day=2026-01-06/line=L1"] == (True, 0.0)  # NULLs are completeness's business


def test_timeliness_measures_lag_from_occurrence_to_arrival(events: duckdb.DuckDBPyConnection) -> None:
    out = _run(events, {"name": "t", "kind": "timeliness", "expect": {"max": 600}})
    assert out["day=2026-01-05/line=L1"] == (True, 120.0)
    assert out["day=2026-01-05/line=L2"] == (False, 7200.0)


def test_referential_integrity_is_checked_against_the_crosswalk(
    events: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    cw = Crosswalk(events, clock=clock)
    for code in ("IM-01", "IM-02"):
        cw.observe(MasterEntity.EQUIPMENT, "plant", code, {"name": code})
        cw.map_code(MasterEntity.EQUIPMENT, "plant", code, code, rule=MatchRule.GOLDEN)
        cw.refresh_golden(MasterEntity.EQUIPMENT, code)
    out = _run(events, {"name": "r", "kind": "referential", "column": "equipment_id", "entity": "equipment"})
    assert out["day=2026-01-05/line=L2"] == (False, 0.5)
    assert out["day=2026-01-05/line=L1"] == (True, 0.0)


def test_a_row_count_must_be_positive_by_default(events: duckdb.DuckDBPyConnection) -> None:
    out = _run(events, {"name": "n", "kind": "row_count"}, where="order_id IS NOT NULL")
    assert out["day=2026-01-05/line=L2"] == (True, 1.0)


def _daily(con: duckdb.DuckDBPyConnection, counts: list[int]) -> None:
    con.execute("CREATE OR REPLACE TABLE daily (day VARCHAR, line_id VARCHAR)")
    for i, n in enumerate(counts):
        con.execute(f"INSERT INTO daily SELECT '2026-01-{i + 1:02d}', 'L1' FROM range({n})")


ROLLING = {
    "table": "daily",
    "partition": {"day": "day", "line": "line_id"},
    "checks": [{"name": "n", "kind": "row_count", "rolling": {"over": "day", "window": 5, "k_sigma": 3}}],
}


def test_a_rolling_row_count_fails_a_partition_far_outside_recent_history(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _daily(con, [100, 104, 98, 101, 99, 102, 20])
    report = evaluate_quality(con, parse_quality_config(ROLLING))
    passed = {r.partition_key: r.passed for r in report.results}
    assert passed["day=2026-01-07/line=L1"] is False
    assert all(v for k, v in passed.items() if k != "day=2026-01-07/line=L1")
    last = report.result("n", "day=2026-01-07/line=L1")
    assert last.expected_min is not None and last.expected_min > 20
    assert "n=5" in last.expected


def test_rolling_history_comes_from_earlier_runs_and_skips_failed_partitions(
    con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    _daily(con, [100, 104, 98, 5])
    evaluate_quality(con, parse_quality_config(ROLLING), clock=clock)
    con.execute("INSERT INTO daily SELECT '2026-01-05', 'L1' FROM range(101)")
    clock.advance(86400)
    report = evaluate_quality(con, parse_quality_config(ROLLING), where="day = '2026-01-05'", clock=clock)
    [result] = report.results
    assert result.passed  # band from days 1-3 (day 4 failed and is left out)
    assert "n=3" in result.expected
    history = con.execute("SELECT count(*), count(DISTINCT run_id) FROM dq_result").fetchone()
    assert history == (5, 2)


def test_too_little_history_passes_and_says_so(con: duckdb.DuckDBPyConnection) -> None:
    _daily(con, [100, 3])
    report = evaluate_quality(con, parse_quality_config(ROLLING))
    assert all(r.passed for r in report.results)
    assert "insufficient history" in report.results[-1].expected


def test_results_are_stored_with_run_partition_observed_and_expected(
    events: duckdb.DuckDBPyConnection,
) -> None:
    _run(events, {"name": "c", "kind": "completeness", "column": "order_id"}, run_id="run-7")
    row = events.execute(
        "SELECT run_id, table_name, check_name, partition_key, passed, observed, expected FROM dq_result "
        "WHERE partition_key = 'day=2026-01-05/line=L2'"
    ).fetchone()
    assert row == ("run-7", "events", "c", "day=2026-01-05/line=L2", False, 0.5, "<= 0")


def test_a_warn_check_does_not_fail_the_report(events: duckdb.DuckDBPyConnection) -> None:
    config = parse_quality_config(
        {
            "table": "events",
            "partition": {"day": "day"},
            "checks": [{"name": "c", "kind": "completeness", "column": "order_id", "severity": "warn"}],
        }
    )
    report = evaluate_quality(events, config)
    assert not all(r.passed for r in report.results)
    assert report.passed and report.failed_partitions() == []


def test_a_rolling_check_over_an_unknown_dimension_is_a_config_error() -> None:
    bad = {**ROLLING, "partition": {"line": "line_id"}}
    with pytest.raises(GovernanceConfigError, match="not a partition dimension"):
        parse_quality_config(bad)


def test_the_shipped_legacy_quality_checks_load() -> None:
    config = load_quality_config(shipped_config("quality", "legacy_production_report.yaml"))
    assert {c.kind for c in config.checks} == {
        "completeness",
        "uniqueness",
        "validity",
        "referential",
        "timeliness",
        "row_count",
    }
