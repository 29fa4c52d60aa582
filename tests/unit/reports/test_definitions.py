"""Report definitions: the shipped YAML, parameter validation and binding, load-time checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.errors import InvalidInput, NotFound
from plantloop.reports.definitions import (
    Lang,
    ReportCatalog,
    ReportDefinitionError,
    bind_parameters,
    load_catalog,
)
from plantloop.reports.query import ReportQueryError, ReportRunner

FREE_TEXT_YAML = """
tables:
  orders: dw.ads_order_delivery
reports:
  - id: order_lookup
    title_en: Order lookup
    title_zh: 工单查询
    scope_column: line_id
    parameters:
      - {name: work_order, type: string, label_en: Work order, label_zh: 工单, required: true}
      - {name: min_qty, type: int, label_en: Min qty, label_zh: 最小数量, default: 0}
      - {name: status, type: string, label_en: Status, label_zh: 状态, allowed: [open, done]}
    sql: |
      SELECT work_order_id, line_id FROM {{orders}}
      WHERE work_order_id = $work_order AND qty >= $min_qty
    columns:
      - {key: work_order_id, label_en: Work order, label_zh: 工单}
      - {key: line_id, label_en: Line, label_zh: 产线}
"""


def write_catalog(tmp_path: Path, text: str) -> ReportCatalog:
    path = tmp_path / "reports.yaml"
    path.write_text(text, encoding="utf-8")
    return load_catalog(path)


def test_the_shipped_catalog_has_four_bilingual_reports_over_the_warehouse_ads(
    catalog: ReportCatalog,
) -> None:
    assert {r.id for r in catalog.reports} == {
        "daily_production",
        "oee_equipment_shift",
        "defect_pareto",
        "order_delivery",
    }
    assert set(catalog.tables.values()) == {
        "dw.ads_plant_overview",
        "dw.ads_oee_equipment_shift",
        "dw.ads_order_delivery",
        "dw.ads_quality_pareto",
    }
    for report in catalog.reports:
        assert report.title(Lang.ZH) != report.title(Lang.EN)
        assert all(c.label_zh and c.label_en for c in report.columns)
        assert report.scope_column == "line_id"


@pytest.mark.parametrize(
    "report_id",
    ["daily_production", "oee_equipment_shift", "defect_pareto", "order_delivery"],
)
def test_every_shipped_report_runs_on_ads_shaped_tables_with_its_defaults(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection, report_id: str
) -> None:
    run = runner.run(con, report_id, {}, None)
    rows = list(run.rows())
    assert rows, f"{report_id} returned no rows on the sample ADS"
    assert run.column_names == [c.key for c in run.report.columns]


def test_date_defaults_are_relative_to_the_clocks_today(catalog: ReportCatalog) -> None:
    report = catalog.get("daily_production")
    bound = bind_parameters(report, {}, today=date(2026, 1, 10))
    assert bound["date_from"] == date(2026, 1, 3)
    assert bound["date_to"] == date(2026, 1, 10)
    assert bound["line"] is None


def test_query_string_values_are_coerced_to_the_declared_types(catalog: ReportCatalog) -> None:
    report = catalog.get("order_delivery")
    bound = bind_parameters(report, {"due_from": "2026-01-02", "only_late": "yes"}, today=date(2026, 1, 10))
    assert bound["due_from"] == date(2026, 1, 2)
    assert bound["only_late"] is True
    bound = bind_parameters(catalog.get("oee_equipment_shift"), {"max_oee": "0.5"}, today=date(2026, 1, 10))
    assert bound["max_oee"] == 0.5


def test_an_unknown_parameter_is_rejected_and_named(catalog: ReportCatalog) -> None:
    with pytest.raises(InvalidInput, match=r"no parameter.*colour") as err:
        bind_parameters(catalog.get("daily_production"), {"colour": "red"})
    assert err.value.details["parameters"] == ["colour"]


@pytest.mark.parametrize(
    ("report_id", "params"),
    [
        ("daily_production", {"date_from": "2026-13-01"}),
        ("daily_production", {"date_from": "yesterday"}),
        ("oee_equipment_shift", {"max_oee": "three"}),
        ("oee_equipment_shift", {"max_oee": "inf"}),
        ("oee_equipment_shift", {"max_oee": "nan"}),
        ("order_delivery", {"only_late": "maybe"}),
    ],
)
def test_malformed_values_are_invalid_input(
    catalog: ReportCatalog, report_id: str, params: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="parameter"):
        bind_parameters(catalog.get(report_id), params)


def test_a_missing_required_parameter_and_a_value_outside_allowed_are_rejected(tmp_path: Path) -> None:
    report = write_catalog(tmp_path, FREE_TEXT_YAML).get("order_lookup")
    with pytest.raises(InvalidInput, match="required"):
        bind_parameters(report, {})
    with pytest.raises(InvalidInput, match="not one of"):
        bind_parameters(report, {"work_order": "x", "status": "lost"})
    assert bind_parameters(report, {"work_order": "x", "status": "done"})["status"] == "done"


@pytest.mark.parametrize(
    "attack",
    [
        "x' OR '1'='1",
        "'; DROP TABLE ads_order_delivery; --",
        "WO-20260101-L1' --",
        "$work_order",
        "{{orders}}",
    ],
)
def test_sql_injection_strings_are_data_not_sql(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, clock: FakeClock, attack: str
) -> None:
    runner = ReportRunner(write_catalog(tmp_path, FREE_TEXT_YAML), clock)
    assert list(runner.run(con, "order_lookup", {"work_order": attack}, None).rows()) == []
    count = con.execute("SELECT COUNT(*) FROM dw.ads_order_delivery").fetchone()
    assert count is not None and count[0] == 40
    found = list(runner.run(con, "order_lookup", {"work_order": "WO-20260101-L1"}, None).rows())
    assert found == [("WO-20260101-L1", "L1")]


def test_a_lookup_parameter_only_accepts_values_the_lookup_returns(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    with pytest.raises(InvalidInput, match="not an available value"):
        runner.run(con, "daily_production", {"line": "L1' OR '1'='1"}, None)
    rows = list(runner.run(con, "daily_production", {"line": "L2"}, None).rows())
    assert rows and {r[1] for r in rows} == {"L2"}


def test_an_unknown_report_is_not_found(runner: ReportRunner, con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotFound):
        runner.run(con, "no_such_report", {}, None)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("WHERE work_order_id = $work_order AND qty >= $min_qty",
         "WHERE work_order_id = $wo AND qty >= $min_qty"),
        ("FROM {{orders}}", "FROM {{nowhere}}"),
        ("name: min_qty", "name: offset"),
    ],
)  # fmt: skip
def test_inconsistent_definitions_fail_at_load_time(tmp_path: Path, broken: str, message: str) -> None:
    with pytest.raises(ReportDefinitionError):
        write_catalog(tmp_path, FREE_TEXT_YAML.replace(broken, message))


def test_sql_returning_other_columns_than_declared_is_a_query_error(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, clock: FakeClock
) -> None:
    text = FREE_TEXT_YAML.replace("SELECT work_order_id, line_id", "SELECT line_id, work_order_id")
    runner = ReportRunner(write_catalog(tmp_path, text), clock)
    with pytest.raises(ReportQueryError, match="declares"):
        runner.run(con, "order_lookup", {"work_order": "x"}, None)


def test_a_missing_ads_table_is_a_query_error_naming_the_report(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    con.execute("DROP TABLE dw.ads_quality_pareto")
    with pytest.raises(ReportQueryError, match="defect_pareto"):
        runner.run(con, "defect_pareto", {}, None)
