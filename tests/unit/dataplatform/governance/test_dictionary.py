"""The field dictionary: config validation, glossary naming, and the generated SELECT on DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    CodeMappingError,
    Glossary,
    GovernanceConfigError,
    MissingSourceFieldError,
    apply_dictionary,
    load_dictionary,
    load_glossary,
    load_shipped_dictionary,
    parse_dictionary,
)
from plantloop.dataplatform.governance.units import convert


def _doc(fields: list[dict[str, Any]], **table: Any) -> dict[str, Any]:
    return {
        "source": "legacy",
        "timezone": "Asia/Shanghai",
        "tables": [{"name": "t_demo", "entity": "demo", "fields": fields, **table}],
    }


def _source(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(f"CREATE TABLE ods_legacy__t_demo AS {sql}")


def test_the_glossary_names_a_target_the_config_leaves_out() -> None:
    d = parse_dictionary(_doc([{"source": "WorkNo"}, {"source": "工单号", "target": "alt_order_ref"}]))
    assert [f.target for f in d.tables[0].fields] == ["order_id", "alt_order_ref"]


def test_synonyms_resolve_to_one_canonical_field_whatever_their_spelling() -> None:
    glossary = load_glossary()
    assert {glossary.canonical(n) for n in ["WorkNo", "OrderID", "order id", "工单号", "ORDER_ID"]} == {
        "order_id"
    }
    assert glossary.canonical("NoSuchField") is None


def test_a_glossary_where_two_terms_claim_one_synonym_is_refused() -> None:
    with pytest.raises(ValueError, match="claimed by both 'order_id' and 'work_order'"):
        Glossary.model_validate(
            {"terms": {"order_id": {"synonyms": ["WorkNo"]}, "work_order": {"synonyms": ["work_no"]}}}
        )


def test_a_target_that_is_a_synonym_of_another_term_is_refused_with_its_path() -> None:
    with pytest.raises(GovernanceConfigError) as err:
        parse_dictionary(_doc([{"source": "A", "target": "order_id"}, {"source": "B", "target": "work_no"}]))
    assert err.value.problems == [
        ("tables.0.fields.1", "target 'work_no' is a synonym of glossary term 'order_id': use 'order_id'")
    ]


def test_a_bad_config_file_names_file_path_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "source: legacy\ntimezone: Mars/Olympus\ntables:\n- name: t\n  entity: e\n  fields:\n"
        "  - {source: W, type: integer, unit: {from: g, to: degC}}\n  - {source: Nobody}\n",
        encoding="utf-8",
    )
    with pytest.raises(GovernanceConfigError) as err:
        load_dictionary(path)
    paths = dict(err.value.problems)
    assert err.value.file == str(path)
    assert "unknown time zone" in paths["timezone"]
    assert "cannot convert g (mass) to degC" in paths["tables.0.fields.0.unit"]
    assert str(path) in str(err.value)


def test_an_unresolvable_field_is_reported_after_the_schema_validates(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "source: x\ntables:\n- {name: t, entity: e, fields: [{source: Nobody}]}\n", encoding="utf-8"
    )
    with pytest.raises(GovernanceConfigError, match="no target for 'Nobody' and no glossary term"):
        load_dictionary(path)


def test_unit_conversions_are_linear_maps_within_a_dimension() -> None:
    assert convert(212, "degF", "degC") == pytest.approx(100)
    assert convert(1500, "g", "kg") == pytest.approx(1.5)
    assert convert(2.5, "min", "s") == pytest.approx(150)
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1, "kg", "s")


def test_applying_renames_casts_converts_units_and_maps_codes(con: duckdb.DuckDBPyConnection) -> None:
    _source(
        con,
        "SELECT * FROM (VALUES ('W1', '12', '1500', '212', '2.5', '20'), ('W2', 'x', NULL, '32', '1', '77')) "
        "v(WorkNo, GoodQty, NetWeightG, MoldTempF, CycleMin, Status)",
    )
    d = parse_dictionary(
        _doc(
            [
                {"source": "WorkNo", "required": True},
                {"source": "GoodQty", "type": "integer"},
                {"source": "NetWeightG", "type": "float", "unit": {"from": "g", "to": "kg"}, "default": 0},
                {"source": "MoldTempF", "type": "float", "unit": {"from": "degF", "to": "degC"}},
                {"source": "CycleMin", "type": "float", "unit": {"from": "min", "to": "s"}},
                {"source": "Status", "codes": {"map": {"20": "running", "30": "completed"}}},
            ]
        )
    )
    report = apply_dictionary(con, d, "t_demo")
    rows = con.execute(
        "SELECT order_id, qty_good, net_weight_kg, mold_temperature_c, cycle_time_s, operation_state "
        "FROM stg_legacy__demo ORDER BY order_id"
    ).fetchall()
    assert rows[0] == ("W1", 12, pytest.approx(1.5), pytest.approx(100.0), pytest.approx(150.0), "running")
    assert rows[1] == ("W2", None, 0.0, pytest.approx(0.0), pytest.approx(60.0), None)
    assert report.cast_failures == {"qty_good": 1}
    assert report.unmapped_codes == {"operation_state": {"77": 1}}
    assert (report.rows_in, report.rows_out) == (2, 2)


def test_local_times_become_utc_instants_using_the_source_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    _source(
        con,
        "SELECT * FROM (VALUES ('2026-01-05 08:30:00', '2026-01-05 08:30:00', '20260105083000')) "
        "v(ReportTime, EventTime, StartTime)",
    )
    d = parse_dictionary(
        _doc(
            [
                {"source": "ReportTime", "type": "timestamp", "local_time": True},
                {"source": "EventTime", "type": "timestamp"},
                {"source": "StartTime", "type": "timestamp", "local_time": True, "format": "%Y%m%d%H%M%S"},
            ]
        )
    )
    apply_dictionary(con, d, "t_demo")
    reported, occurred, started = con.execute(
        "SELECT reported_at, occurred_at, started_at FROM stg_legacy__demo"
    ).fetchone()  # type: ignore[misc]
    assert reported == datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
    assert occurred == datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    assert started == datetime(2026, 1, 5, 0, 30, tzinfo=UTC)


def test_a_required_field_missing_from_the_source_is_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, "SELECT 'W1' AS WorkNo")
    d = parse_dictionary(_doc([{"source": "WorkNo"}, {"source": "EquipCode", "required": True}]))
    with pytest.raises(MissingSourceFieldError) as err:
        apply_dictionary(con, d, "t_demo", strict=False)
    assert err.value.fields == ["EquipCode"]
    assert "ods_legacy__t_demo" in str(err.value) and "WorkNo" in str(err.value)


def test_any_named_field_missing_from_the_source_is_an_error_by_default(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _source(con, "SELECT 'W1' AS WorkNo")
    d = parse_dictionary(_doc([{"source": "WorkNo"}, {"source": "ScrapQty"}, {"source": "LotNo"}]))
    with pytest.raises(MissingSourceFieldError) as err:
        apply_dictionary(con, d, "t_demo")
    assert err.value.fields == ["ScrapQty", "LotNo"]


def test_an_optional_field_missing_from_the_source_becomes_its_default_when_not_strict(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _source(con, "SELECT 'W1' AS workno")
    d = parse_dictionary(
        _doc([{"source": "WorkNo"}, {"source": "ScrapQty", "type": "integer", "default": 0}])
    )
    report = apply_dictionary(con, d, "t_demo", strict=False)
    assert con.execute("SELECT order_id, qty_scrap FROM stg_legacy__demo").fetchall() == [("W1", 0)]
    assert report.missing_optional == ("ScrapQty",)


def test_codes_configured_to_fail_stop_the_load_and_name_the_values(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, "SELECT * FROM (VALUES ('1'), ('9'), ('9')) v(ShiftNo)")
    d = parse_dictionary(_doc([{"source": "ShiftNo", "codes": {"map": {"1": "A"}, "on_unmapped": "fail"}}]))
    with pytest.raises(CodeMappingError, match="'9'"):
        apply_dictionary(con, d, "t_demo")


def test_required_fields_left_null_are_counted_not_hidden(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, "SELECT * FROM (VALUES ('W1'), (NULL)) v(WorkNo)")
    report = apply_dictionary(con, parse_dictionary(_doc([{"source": "WorkNo", "required": True}])), "t_demo")
    assert report.required_nulls == {"order_id": 1}


def test_json_payload_fields_are_read_by_path(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, """SELECT '{"qty": {"good": 7}}' AS payload""")
    d = parse_dictionary(
        _doc([{"source": "payload", "json_path": "$.qty.good", "target": "qty_good", "type": "integer"}])
    )
    apply_dictionary(con, d, "t_demo")
    assert con.execute("SELECT qty_good FROM stg_legacy__demo").fetchall() == [(7,)]


def test_lineage_names_each_source_field_target_and_transformation(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, "SELECT '212' AS MoldTempF, 'b1' AS batch_id")
    d = parse_dictionary(
        _doc(
            [{"source": "MoldTempF", "type": "float", "unit": {"from": "degF", "to": "degC"}}],
            passthrough=["batch_id"],
        )
    )
    apply_dictionary(con, d, "t_demo")
    rows = con.execute(
        "SELECT source_table, source_field, target_table, target_column, transformation FROM field_lineage "
        "ORDER BY target_column"
    ).fetchall()
    assert rows[0][:4] == ("ods_legacy__t_demo", "batch_id", "stg_legacy__demo", "batch_id")
    assert rows[1][:4] == ("ods_legacy__t_demo", "MoldTempF", "stg_legacy__demo", "mold_temperature_c")
    assert "unit degF -> degC" in rows[1][4]


def test_appending_a_batch_adds_only_the_filtered_rows(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, "SELECT * FROM (VALUES ('W1', 'b1'), ('W2', 'b2')) v(WorkNo, batch_id)")
    d = parse_dictionary(_doc([{"source": "WorkNo"}], passthrough=["batch_id"]))
    apply_dictionary(con, d, "t_demo", where="batch_id = 'b1'")
    report = apply_dictionary(con, d, "t_demo", where="batch_id = 'b2'", append=True)
    assert report.rows_in == 1
    assert con.execute("SELECT order_id FROM stg_legacy__demo ORDER BY 1").fetchall() == [("W1",), ("W2",)]


def test_the_shipped_legacy_mes_dictionary_loads_and_names_every_field() -> None:
    d = load_shipped_dictionary("legacy_mes")
    report = d.table("t_prod_report")
    targets = {f.source: f.target for f in report.fields}
    assert targets["WorkNo"] == "order_id"
    assert targets["EquipCode"] == "equipment_id"
    assert targets["ReportTime"] == "reported_at"
    assert d.source_table_of(report) == "ods_legacy__t_prod_report"


def test_fields_not_found_as_columns_are_read_from_the_payload_json_by_name(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _source(con, """SELECT 'b1' AS batch_id, '{"工单号": "W9", "GoodQty": 3}'::JSON AS payload""")
    d = parse_dictionary(
        _doc(
            [{"source": "工单号"}, {"source": "GoodQty", "type": "integer"}],
            payload_column="payload",
            passthrough=["batch_id"],
        )
    )
    report = apply_dictionary(con, d, "t_demo")
    assert con.execute("SELECT order_id, qty_good, batch_id FROM stg_legacy__demo").fetchall() == [
        ("W9", 3, "b1")
    ]
    assert {r.source_field for r in report.lineage} == {"payload.工单号", "payload.GoodQty", "batch_id"}


def test_a_key_absent_from_every_payload_is_a_missing_source_field(con: duckdb.DuckDBPyConnection) -> None:
    _source(con, """SELECT '{"WorkNo": "W9"}'::JSON AS payload""")
    d = parse_dictionary(_doc([{"source": "WorkNo"}, {"source": "EquipCode"}], payload_column="payload"))
    with pytest.raises(MissingSourceFieldError) as err:
        apply_dictionary(con, d, "t_demo")
    assert err.value.fields == ["EquipCode"]
