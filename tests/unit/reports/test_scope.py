"""Row scope: a user's set of lines filters every table a report reads, before any aggregation."""

from __future__ import annotations

import duckdb
import pytest

from plantloop.kernel.errors import InvalidInput
from plantloop.reports.query import ReportRunner


def test_a_scoped_run_returns_only_the_users_lines(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    everything = list(runner.run(con, "daily_production", {}, None).rows())
    scoped = list(runner.run(con, "daily_production", {}, {"L1", "L3"}).rows())
    assert {r[1] for r in everything} == {"FAB", "L1", "L2", "L3"}
    assert {r[1] for r in scoped} == {"L1", "L3"}
    assert scoped == [r for r in everything if r[1] in {"L1", "L3"}]


def test_an_empty_scope_sees_nothing_and_no_scope_sees_everything(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    assert list(runner.run(con, "order_delivery", {}, set()).rows()) == []
    assert len(list(runner.run(con, "order_delivery", {}, None).rows())) == 40


def test_aggregates_and_shares_are_computed_over_scoped_rows_only(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    rows = list(runner.run(con, "defect_pareto", {}, {"L2"}).rows())
    expected = con.execute(
        "SELECT defect_code, SUM(qty) FROM dw.ads_quality_pareto WHERE line_id = 'L2' GROUP BY 1"
    ).fetchall()
    assert {(r[0], r[1]) for r in rows} == set(expected)
    assert rows[-1][3] == pytest.approx(1.0)  # the cumulative share of the scoped total ends at 100 %
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    plant = con.execute("SELECT SUM(qty) FROM dw.ads_quality_pareto WHERE line_id = '*'").fetchone()
    assert plant is not None and sum(r[1] for r in rows) < plant[0]  # plant-wide '*' rows stay hidden


def test_lookup_values_are_scoped_too(runner: ReportRunner, con: duckdb.DuckDBPyConnection) -> None:
    report = runner.catalog.get("daily_production")
    assert runner.lookup_values(con, report, "line", {"L2"}) == ["L2"]
    assert runner.lookup_values(con, report, "line", None) == ["FAB", "L1", "L2", "L3"]


def test_asking_for_a_line_outside_the_scope_is_rejected(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    with pytest.raises(InvalidInput, match="line"):
        runner.run(con, "daily_production", {"line": "L3"}, {"L1"})


def test_a_scope_value_cannot_inject_sql(runner: ReportRunner, con: duckdb.DuckDBPyConnection) -> None:
    rows = list(runner.run(con, "daily_production", {}, {"L1') OR TRUE OR ('x"}).rows())
    assert rows == []


def test_pages_count_the_scoped_total_and_slice_in_order(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    all_rows = list(runner.run(con, "daily_production", {}, {"L1", "L2"}).rows())
    run, total = runner.page(con, "daily_production", {}, {"L1", "L2"}, offset=3, limit=5)
    assert total == len(all_rows) == 16
    assert list(run.rows()) == all_rows[3:8]
    with pytest.raises(InvalidInput):
        runner.page(con, "daily_production", {}, None, offset=0, limit=0)
