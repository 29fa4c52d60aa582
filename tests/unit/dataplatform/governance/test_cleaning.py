"""Cleaning rules: each kind flags or removes, with a count and a reason per rule, logged per run."""

from __future__ import annotations

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    GovernanceConfigError,
    apply_cleaning,
    load_cleaning_config,
    parse_cleaning_config,
    shipped_config,
)

ROWS = """
CREATE TABLE reports AS SELECT * FROM (VALUES
 ('TEST-1', 'amy',  'S1',  5, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-1',   'test', 'S2',  5, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-2',   'amy',  'S3', -1, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-3',   'amy',  'S4',  2, 9999., TIMESTAMP '2026-01-05 10:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-4',   'amy',  'S5',  2, 210.0, TIMESTAMP '2026-01-05 08:05', TIMESTAMP '2026-01-05 09:00'),
 ('WO-4',   'amy',  'S5',  2, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00'),
 ('TEST-9', 'amy',  'S5',  2, 210.0, TIMESTAMP '2026-01-05 07:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-5',   'bob',  NULL,  1, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00'),
 ('WO-6',   'bob',  NULL,  1, 210.0, TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 09:00')
) v(order_id, operator_id, serial_no, qty_good, mold_temperature_c, started_at, ended_at)
"""


@pytest.fixture
def reports(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(ROWS)
    return con


def _clean(con: duckdb.DuckDBPyConnection, *rules: dict[str, object]) -> dict[str, int]:
    report = apply_cleaning(con, parse_cleaning_config({"rules": list(rules)}), "reports", "clean")
    return {o.rule: o.rows_affected for o in report.outcomes}


def test_test_records_are_found_by_prefix_and_by_value_whatever_the_case(
    reports: duckdb.DuckDBPyConnection,
) -> None:
    counts = _clean(
        reports,
        {"name": "test_orders", "kind": "test_record", "column": "order_id", "prefixes": ["test"]},
        {"name": "test_operator", "kind": "test_record", "column": "operator_id", "values": ["TEST"]},
    )
    assert counts == {"test_orders": 2, "test_operator": 1}
    assert reports.execute("SELECT count(*) FROM clean").fetchone() == (6,)


def test_impossible_values_are_caught_by_range_and_order_rules(reports: duckdb.DuckDBPyConnection) -> None:
    counts = _clean(
        reports,
        {"name": "negative_qty", "kind": "range", "column": "qty_good", "min": 0},
        {"name": "too_hot", "kind": "range", "column": "mold_temperature_c", "min": -273.15, "max": 1000},
        {"name": "end_before_start", "kind": "order", "start": "started_at", "end": "ended_at"},
    )
    # WO-3 is both too hot and ends before it starts: the earlier rule takes it
    assert counts == {"negative_qty": 1, "too_hot": 1, "end_before_start": 0}


def test_a_rescanned_serial_keeps_the_first_scan_and_ignores_null_keys(
    reports: duckdb.DuckDBPyConnection,
) -> None:
    counts = _clean(
        reports, {"name": "rescanned", "kind": "duplicate", "keys": ["serial_no"], "order_by": ["started_at"]}
    )
    assert counts == {"rescanned": 2}
    kept = reports.execute("SELECT order_id, started_at FROM clean WHERE serial_no = 'S5'").fetchall()
    assert [k[0] for k in kept] == ["TEST-9"]


def test_rows_removed_by_an_earlier_rule_do_not_count_as_duplicates(
    reports: duckdb.DuckDBPyConnection,
) -> None:
    counts = _clean(
        reports,
        {"name": "test_orders", "kind": "test_record", "column": "order_id", "prefixes": ["TEST"]},
        {"name": "rescanned", "kind": "duplicate", "keys": ["serial_no"], "order_by": ["started_at"]},
    )
    assert counts == {"test_orders": 2, "rescanned": 1}
    kept = reports.execute("SELECT started_at FROM clean WHERE serial_no = 'S5'").fetchall()
    assert str(kept[0][0]) == "2026-01-05 08:00:00"


def test_a_flag_rule_keeps_the_row_and_names_the_rule(reports: duckdb.DuckDBPyConnection) -> None:
    counts = _clean(
        reports,
        {"name": "negative_qty", "kind": "range", "column": "qty_good", "min": 0, "action": "flag"},
        {"name": "custom", "kind": "predicate", "where": "operator_id = 'bob'", "action": "flag"},
    )
    assert counts == {"negative_qty": 1, "custom": 2}
    flagged = reports.execute(
        "SELECT order_id, cleaning_flags FROM clean WHERE len(cleaning_flags) > 0 ORDER BY order_id"
    ).fetchall()
    assert flagged == [("WO-2", ["negative_qty"]), ("WO-5", ["custom"]), ("WO-6", ["custom"])]
    assert reports.execute("SELECT count(*) FROM clean").fetchone() == (9,)


def test_removed_rows_are_kept_aside_with_rule_and_reason(reports: duckdb.DuckDBPyConnection) -> None:
    config = parse_cleaning_config(
        {
            "rules": [
                {
                    "name": "negative_qty",
                    "kind": "range",
                    "column": "qty_good",
                    "min": 0,
                    "reason": "a quantity cannot be negative",
                }
            ]
        }
    )
    report = apply_cleaning(reports, config, "reports", "clean", run_id="run-1")
    rejected = reports.execute(
        f"SELECT order_id, removed_by_rule, removed_reason, cleaning_run_id FROM {report.rejected_table}"
    ).fetchall()
    assert rejected == [("WO-2", "negative_qty", "a quantity cannot be negative", "run-1")]
    assert (report.rows_in, report.rows_out) == (9, 8)


def test_every_run_logs_one_row_per_rule_with_its_count(reports: duckdb.DuckDBPyConnection) -> None:
    config = parse_cleaning_config(
        {
            "rules": [
                {"name": "test_orders", "kind": "test_record", "column": "order_id", "prefixes": ["TEST"]},
                {"name": "negative_qty", "kind": "range", "column": "qty_good", "min": 0, "action": "flag"},
            ]
        }
    )
    apply_cleaning(reports, config, "reports", "clean", run_id="r1")
    apply_cleaning(reports, config, "reports", "clean", run_id="r2")
    log = reports.execute(
        "SELECT run_id, table_name, rule, action, rows_affected, rows_in FROM cleaning_log "
        "ORDER BY run_id, rule"
    ).fetchall()
    assert log == [
        ("r1", "reports", "negative_qty", "flag", 1, 9),
        ("r1", "reports", "test_orders", "remove", 2, 9),
        ("r2", "reports", "negative_qty", "flag", 1, 9),
        ("r2", "reports", "test_orders", "remove", 2, 9),
    ]


def test_cleaning_an_already_flagged_table_keeps_the_earlier_flags(
    reports: duckdb.DuckDBPyConnection,
) -> None:
    flag = {"name": "bob", "kind": "predicate", "where": "operator_id = 'bob'", "action": "flag"}
    apply_cleaning(reports, parse_cleaning_config({"rules": [flag]}), "reports", "clean1")
    again = {**flag, "name": "one_piece", "where": "qty_good = 1"}
    apply_cleaning(reports, parse_cleaning_config({"rules": [again]}), "clean1", "clean2")
    flags = reports.execute("SELECT DISTINCT cleaning_flags FROM clean2 WHERE operator_id = 'bob'").fetchall()
    assert flags == [(["bob", "one_piece"],)]


def test_an_unknown_rule_kind_is_a_config_error_with_its_path() -> None:
    with pytest.raises(GovernanceConfigError) as err:
        parse_cleaning_config({"rules": [{"name": "x", "kind": "magic"}]})
    assert err.value.problems[0][0] == "rules.0"


def test_the_shipped_legacy_cleaning_rules_load() -> None:
    config = load_cleaning_config(shipped_config("cleaning", "legacy_production_report.yaml"))
    assert [r.kind for r in config.rules][-1] == "duplicate"
