"""The data platform over a simulated plant with dirty data, on a real DuckDB file: governance of the
legacy MES by configuration, the steward queue, DQ per partition and its propagation, the decision gate,
and the warehouse's numbers against the simulator's own."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plantloop.dataplatform.governance import partition_verdict, plant_day
from plantloop.dataplatform.warehouse.project import SEARCH_SCHEMAS
from tests.integration.dataplatform.conftest import Built
from tests.integration.dataplatform.plant_run import LEGACY_CODES, LEGACY_LINE, UNMATCHED_CODE


def _key(r: object) -> tuple[object, ...]:
    return (r.work_order_id, r.equipment_id, r.reported_at, r.qty_good, r.qty_scrap)  # type: ignore[attr-defined]


def _unmatched_days(built: Built) -> set[date]:
    day = plant_day(built.run.plant)
    return {day.day_of(r.reported_at) for r in built.run.legacy.rows if r.equipment_id == UNMATCHED_CODE}


def test_the_legacy_mes_is_mapped_by_configuration_into_canonical_rows_in_utc(built: Built) -> None:
    first: dict[tuple[object, ...], object] = {}
    for r in built.run.legacy.rows:
        first.setdefault(_key(r), r)
    blank = lambda v: v or None  # noqa: E731 — the dictionary reads '' as "no value"
    expected = Counter(
        (blank(r.work_order_id), blank(r.equipment_id), r.reported_at, r.qty_good, r.qty_scrap, r.operator_id)  # type: ignore[attr-defined]
        for r in first.values()
    )
    with built.platform.connect() as con:
        rows = con.execute(
            "SELECT order_id, equipment_id, reported_at, qty_good, qty_scrap, operator_id "
            "FROM stg_legacy__production_report"
        ).fetchall()
        lineage = dict(
            con.execute(
                "SELECT source_field, target_column FROM field_lineage "
                "WHERE target_table = 'stg_legacy__production_report'"
            ).fetchall()
        )
    assert Counter(rows) == expected  # WorkNo → order_id, QtyOK → qty_good, local ReportTime → UTC instant
    assert lineage["payload.WorkNo"] == "order_id"
    assert lineage["payload.EquipCode"] == "equipment_id"
    assert lineage["payload.ReportTime"] == "reported_at"
    assert lineage["payload.QtyOK"] == "qty_good"


def test_double_bookings_are_removed_with_a_count_and_a_reason(built: Built) -> None:
    duplicates = built.run.legacy.duplicates
    assert duplicates > 0
    report = built.first.governance[0]
    assert report.cleaning is not None and report.cleaning.affected("booked_twice") == duplicates
    with built.platform.connect() as con:
        rejected = con.execute(
            "SELECT removed_by_rule, removed_reason, count(*) FROM stg_legacy__production_report__rejected "
            "GROUP BY 1, 2"
        ).fetchall()
        logged = con.execute(
            "SELECT rows_affected FROM cleaning_log WHERE rule = 'booked_twice' "
            "ORDER BY logged_at DESC LIMIT 1"
        ).fetchone()
    assert rejected == [
        ("booked_twice", "the same booking entered twice; the first booking counts", duplicates)
    ]
    assert logged == (duplicates,)


def test_test_bookings_are_flagged_kept_and_left_out_of_aggregates(built: Built) -> None:
    tests = built.run.legacy.test_rows
    assert tests > 0
    report = built.first.governance[0]
    assert report.cleaning is not None
    assert report.cleaning.affected("test_order") == tests  # flagged by the first rule that hits
    with built.platform.connect() as con:
        flagged = con.execute(
            "SELECT count(*), min(cleaning_flags) FROM dw.dwd_production_report WHERE is_flagged"
        ).fetchone()
        booked = con.execute("SELECT sum(qty_good) FROM dw.dws_production_report_shift").fetchone()
    assert flagged == (tests, "test_order,test_account")
    good = sum(built.run.legacy.qty_good_by_equipment().values())
    assert booked == (good,)  # each booking once, test bookings out


def test_an_unmatched_machine_code_waits_in_the_steward_queue_listed_by_the_api(
    built: Built, api: TestClient
) -> None:
    items = api.get("/api/v1/governance/steward").json()
    assert [(i["source_code"], i["system"], i["entity"], i["reason"]) for i in items] == [
        (UNMATCHED_CODE, "legacy", "equipment", "no_match")
    ]
    first = {_key(r): r for r in reversed(built.run.legacy.rows)}
    assert items[0]["occurrences"] == sum(1 for r in first.values() if r.equipment_id == UNMATCHED_CODE)
    detail = api.get(f"/api/v1/governance/steward/{items[0]['item_id']}").json()
    assert [a["action"] for a in detail["audit"]] == ["queued"]
    for plant_id, legacy_code in LEGACY_CODES.items():
        if legacy_code == UNMATCHED_CODE:
            continue
        mapping = api.get(f"/api/v1/governance/crosswalk/equipment/legacy/{legacy_code}").json()
        assert mapping["canonical_id"] == plant_id  # exact, or normalized ("ts 11" ≡ TS-11)


def test_dq_fails_exactly_the_partitions_holding_unmapped_bookings_and_marks_what_is_built_on_them(
    built: Built, api: TestClient
) -> None:
    days = _unmatched_days(built)
    assert days
    failed = built.first.failed_partitions
    assert failed["stg_legacy__production_report"] == sorted(f"day={d}" for d in days)
    assert failed["dwd_production_report"] == sorted(f"day={d}/line=" for d in days)
    assert "dwd_operation_execution" not in failed  # the MES path is clean
    report = {t["table"]: t for t in api.get("/api/v1/governance/dq", params={"failed": True}).json()}
    inherited = {p["partition"] for p in report["ads_production_reconciliation"]["partitions"]}
    assert {f"day={d}/line={LEGACY_LINE}" for d in days} <= inherited
    assert all(p.split("/")[0][4:] in {str(d) for d in days} for p in inherited)
    assert "ads_oee_equipment_shift" not in report  # OEE is not built on the legacy bookings


def test_metric_rows_built_on_failed_partitions_say_so(built: Built, api: TestClient) -> None:
    days = {str(d) for d in _unmatched_days(built)}
    body = api.get("/api/v1/metrics/booking_gap_qty", params={"period": "all", "group_by": "line,day"}).json()
    assert body["dq_status"] == "fail"
    for row in body["rows"]:
        expect_fail = row["day"] in days and row["line"] in (LEGACY_LINE, "")
        assert (row["dq_status"] == "fail") == expect_fail, row
        if expect_fail:
            assert any("equipment_known" in f or "equipment_mapped" in f for f in row["dq_failed"])
    oee = api.get("/api/v1/metrics/oee", params={"period": "all", "group_by": "line"}).json()
    assert {r["dq_status"] for r in oee["rows"]} == {"pass"}


def test_the_decision_gate_refuses_inputs_built_on_failed_data_and_lineage_remembers(
    built: Built, api: TestClient
) -> None:
    bad = min(_unmatched_days(built))
    dp = built.platform
    passed, failed = dp.dq_verdict([("ads_production_reconciliation", f"{bad}/{LEGACY_LINE}")])
    assert not passed and "stg_legacy__production_report[day=" in failed[0] and "equipment_known" in failed[0]
    assert dp.dq_verdict([("dwd_operation_execution", f"day={bad}/line={LEGACY_LINE}")]) == (True, [])
    assert (
        dp.record_decision_inputs(
            "DEC-1", "schedule", [("ads_production_reconciliation", f"day={bad}/line={LEGACY_LINE}")]
        )
        == 1
    )
    [row] = api.get("/api/v1/catalog/decisions/DEC-1").json()
    assert (row["kind"], row["dq_passed_at_decision"], row["dq_status_now"]) == ("schedule", False, "fail")
    with dp.connect() as con:
        verdict = partition_verdict(
            con, "ads_production_reconciliation", f"day={bad}/line=L2", schemas=SEARCH_SCHEMAS
        )
    assert not verdict.ok  # unmapped bookings may belong to any line: the whole day is suspect


def test_every_machine_shift_matches_iso_22400_components_computed_from_the_simulator(built: Built) -> None:
    from tests.integration.dataplatform.truth import shift_truth

    truth = shift_truth(built.run)
    with built.platform.connect() as con:
        rows = con.execute(
            "SELECT equipment_id, shift_start_at, planned_downtime_s, idle_time_s, run_time_s, "
            "unplanned_downtime_s, ideal_output_time_s, qty_good, qty_scrap, failures, availability, "
            "performance, quality_rate, oee FROM dw.ads_oee_equipment_shift"
        ).fetchall()
    warehouse = {(r[0], r[1].replace(tzinfo=UTC)): r[2:] for r in rows}
    assert len(truth) >= 100
    assert (
        sum(t.failures for t in truth.values()) > 0 and sum(t.planned_downtime_s for t in truth.values()) > 0
    )
    for key, t in truth.items():
        pdot, idle, apt, adot, ideal, good, scrap, failures, a, p, q, oee = warehouse[key]
        assert (pdot, idle, apt, adot, ideal) == pytest.approx(
            (t.planned_downtime_s, t.idle_s, t.execute_s, t.unplanned_downtime_s, t.ideal_output_s), abs=1e-3
        ), key
        assert (good, scrap, failures) == (t.qty_good, t.qty_scrap, t.failures), key
        assert (a, p, q, oee) == pytest.approx((t.availability, t.performance, t.quality, t.oee)), key


def test_oee_of_one_machine_for_one_shift_with_a_breakdown_recomputed_by_hand(built: Built) -> None:
    from tests.integration.dataplatform.truth import shift_truth

    key, t = next((k, t) for k, t in sorted(shift_truth(built.run).items()) if t.failures and t.qty_good)
    planned_busy = 8 * 3600 - t.planned_downtime_s - t.idle_s  # POT − PDOT − idle
    availability = t.execute_s / planned_busy
    performance = t.ideal_output_s / t.execute_s
    quality = t.qty_good / (t.qty_good + t.qty_scrap)
    with built.platform.connect() as con:
        a, p, q, oee = con.execute(
            "SELECT availability, performance, quality_rate, oee FROM dw.ads_oee_equipment_shift "
            "WHERE equipment_id = ? AND shift_start_at = ?",
            [key[0], key[1].replace(tzinfo=None)],
        ).fetchone()
    assert (a, p, q) == pytest.approx((availability, performance, quality))
    assert oee == pytest.approx(availability * performance * quality)
    assert 0 < oee < 1


def test_line_day_sums_its_machine_shifts(built: Built) -> None:
    with built.platform.connect() as con:
        rows = con.execute(
            "SELECT l.qty_good, sum(e.qty_good), l.run_time_s, sum(e.run_time_s), l.idle_time_s, "
            "sum(e.idle_time_s) FROM dw.dws_line_day l "
            "JOIN dw.dws_equipment_shift e USING (line_id, shift_date) "
            "GROUP BY l.line_id, l.shift_date, l.qty_good, l.run_time_s, l.idle_time_s"
        ).fetchall()
    assert rows
    for good, good_sum, run, run_sum, idle, idle_sum in rows:
        assert good == good_sum and run == pytest.approx(run_sum) and idle == pytest.approx(idle_sum)


def test_order_delivery_matches_the_simulators_orders(built: Built) -> None:
    start = built.run.start
    truth = {
        wo.id: (start.timestamp() + wo.completed_s) <= (start.timestamp() + wo.due_s)
        for wo in built.run.sim.plant.records.work_orders
        if wo.completed_s is not None
    }
    with built.platform.connect() as con:
        rows = dict(
            con.execute(
                "SELECT work_order_id, on_time FROM dw.ads_order_delivery WHERE status = 'completed'"
            ).fetchall()
        )
    assert truth and {k: rows[k] for k in truth} == truth


def test_the_quality_pareto_reaches_a_cumulative_share_of_one(built: Built) -> None:
    with built.platform.connect() as con:
        rows = con.execute(
            "SELECT qty, cumulative_share FROM dw.ads_quality_pareto WHERE line_id = '*' ORDER BY pareto_rank"
        ).fetchall()
    assert rows and [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
    assert rows[-1][1] == pytest.approx(1.0)


def test_bad_requests_get_a_4xx_with_a_message(api: TestClient) -> None:
    cases = [
        ("/api/v1/metrics/nope", 422),
        ("/api/v1/metrics/oee?group_by=colour", 422),
        ("/api/v1/metrics/oee?period=2026-02-01..2026-01-01", 422),
        ("/api/v1/metrics/oee?filter=line", 422),
        ("/api/v1/catalog/ads_nope", 404),
        ("/api/v1/governance/steward/nope", 404),
        ("/api/v1/governance/crosswalk/equipment/legacy/NOPE", 404),
        ("/api/v1/governance/dq/verdict?table=dwd_operation_execution&partition=a/b/c", 422),
    ]
    for path, status in cases:
        response = api.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["message"]
    assert api.post("/api/v1/governance/steward/nope/map", json={"canonical_id": "AS-12"}).status_code == 404
    assert api.post("/api/v1/governance/steward/x/map", json={}).status_code == 422


def test_the_catalog_describes_every_table_and_is_searchable(api: TestClient) -> None:
    tables = {t["name"]: t for t in api.get("/api/v1/catalog").json()}
    for name in ("ods_mes__events", "ods_legacy__t_prod_report", "stg_legacy__production_report",
                 "dim_crosswalk_equipment", "dwd_production_report", "ads_oee_equipment_shift"):  # fmt: skip
        entry = tables[name]
        assert entry["description"] and entry["owner"] and entry["columns"], name
        assert all(c["type"] for c in entry["columns"]), name
    assert tables["stg_legacy__production_report"]["dq_status"] == "fail"
    assert tables["ads_production_reconciliation"]["dq_status"] == "upstream_fail"
    assert tables["dwd_operation_execution"]["dq_status"] == "pass"
    assert tables["ads_oee_equipment_shift"]["freshness"] is not None
    assert [t["layer"] for t in tables.values()].count("ads") >= 6
    found = [t["name"] for t in api.get("/api/v1/catalog", params={"q": "legacy booked"}).json()]
    assert "ads_production_reconciliation" in found and "ads_oee_equipment_shift" not in found


def test_lineage_runs_from_ads_columns_to_source_fields_of_both_mes(api: TestClient) -> None:
    recon = api.get("/api/v1/catalog/ads_production_reconciliation/lineage").json()
    booked = recon["columns"]["booked_qty_good"]["sources"]
    assert any(
        s.startswith("ods_legacy__t_prod_report.payload.QtyOK (rename QtyOK -> qty_good") for s in booked
    )
    recorded = recon["columns"]["recorded_qty_good"]["sources"]
    assert any(s.startswith("ods_mes__events.payload.qty_good[") for s in recorded)
    assert {"stg_legacy__production_report", "ods_legacy__t_prod_report", "dim_crosswalk_equipment"} <= set(
        recon["upstream"]
    )
    oee = api.get("/api/v1/catalog/ads_oee_equipment_shift/lineage").json()
    assert any("OperationCompleted" in s for s in oee["columns"]["qty_good"]["sources"])


def test_no_model_reads_more_than_one_layer_down_and_metrics_read_ads_only(built: Built) -> None:
    from plantloop.dataplatform.metrics import METRICS, Source
    from plantloop.dataplatform.warehouse import Layer, layer_of, violations

    ctx = built.platform.warehouse.context()
    deps = {n: set(m.depends_on) for n, m in ctx.models.items() if not m.kind.is_external}
    assert any("stg_legacy__production_report" in str(d) for d in deps.values())
    assert violations(deps) == []
    assert {layer_of(m.source.value) for m in METRICS.values() if m.source is not Source.QUERY_LOG} == {
        Layer.ADS
    }


def test_data_asset_utilization_is_the_share_of_governed_tables_queried(built: Built) -> None:
    dp = built.platform
    today = datetime.now(UTC).date()
    dp.query_metric("scrap_rate", "all")
    result = dp.query_metric("data_asset_utilization", (today, today))
    with dp.connect() as con:
        queried = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_name FROM dp_query_log WHERE queried_day = ?", [today]
            ).fetchall()
        }
    governed = set(dp.warehouse.table_names())
    assert result.rows[0]["value"] == pytest.approx(len(queried & governed) / len(governed))
    assert "ads_product_quality_shift" in queried


def test_the_cli_prints_dq_per_table_and_partition_and_lineage_to_source_fields(built: Built) -> None:
    import json

    from typer.testing import CliRunner

    from plantloop.cli.main import app

    runner = CliRunner()
    db = str(built.run.database)
    dq = runner.invoke(app, ["platform", "dq", "--warehouse", db, "--json"])
    assert dq.exit_code == 0, dq.output
    tables = {t["table"]: t for t in json.loads(dq.stdout.strip().splitlines()[-1])}
    stg = tables["stg_legacy__production_report"]
    assert not stg["passed"] and all(
        {"partition", "checks", "inherited", "ok"} <= p.keys() for p in stg["partitions"]
    )
    assert {c["check"] for c in stg["partitions"][0]["checks"]} >= {"equipment_known", "record_unique"}
    lineage = runner.invoke(
        app, ["platform", "lineage", "ads_production_reconciliation", "--warehouse", db, "--json"]
    )
    assert lineage.exit_code == 0, lineage.output
    data = json.loads(lineage.stdout.strip().splitlines()[-1])
    assert any("payload.QtyOK" in s for s in data["columns"]["booked_qty_good"]["sources"])
    missing = runner.invoke(app, ["platform", "lineage", "ads_nope", "--warehouse", db, "--json"])
    assert missing.exit_code == 2 and "no table" in missing.output


def test_metrics_re_aggregate_per_line_to_what_the_simulator_says(built: Built, api: TestClient) -> None:
    from tests.integration.dataplatform.truth import shift_truth

    run, plant = built.run, built.run.plant
    day = plant_day(plant)
    first, last = (
        day.day_of(run.start),
        day.day_of(run.start + timedelta(days=run.sim.config.days) - timedelta(seconds=1)),
    )
    by_line: dict[str, list[Any]] = {}
    for t in shift_truth(run).values():
        by_line.setdefault(plant.line_of[t.equipment_id], []).append(t)
    expected: dict[str, dict[str, float | None]] = {}
    for line, ts in by_line.items():
        pbt = sum(t.planned_busy_s for t in ts)
        apt = sum(t.execute_s for t in ts)
        good, scrap = sum(t.qty_good for t in ts), sum(t.qty_scrap for t in ts)
        failures = sum(t.failures for t in ts)
        expected[line] = {
            "oee": sum(t.ideal_output_s for t in ts) / pbt * good / (good + scrap),
            "availability": apt / pbt,
            "performance": sum(t.ideal_output_s for t in ts) / apt,
            "capacity_utilization": apt / sum(t.calendar_s for t in ts),
            "throughput_rate": good / (apt / 3600),
            "scrap_rate": scrap / (good + scrap),
            "mtbf_h": apt / 3600 / failures if failures else None,
            "mttr_h": sum(t.repair_s for t in ts) / 3600 / failures if failures else None,
        }
    assert any(e["mtbf_h"] for e in expected.values())
    for metric in expected["FAB"]:
        body = api.get(
            f"/api/v1/metrics/{metric}", params={"period": f"{first}..{last}", "group_by": "line"}
        ).json()
        got = {r["line"]: r["value"] for r in body["rows"]}
        for line, values in expected.items():
            want = values[metric]
            assert got[line] == (None if want is None else pytest.approx(want, rel=1e-9)), (metric, line)


def test_first_pass_yield_and_order_metrics_match_the_simulators_records(
    built: Built, api: TestClient
) -> None:
    run, plant = built.run, built.run.plant
    day = plant_day(plant)
    equipment_of = run.equipment_of_operation()
    inspected: dict[str, tuple[datetime, int, int]] = {}
    for e in sorted(run.clean_events("InspectionRecorded"), key=lambda e: e["occurred_at"]):
        inspected.setdefault(e["operation_id"], (datetime.fromisoformat(e["occurred_at"]), e["qty_inspected"],
                                                 e["qty_defective"]))  # fmt: skip
    first_day = day.day_of(run.start)
    last_day = day.day_of(run.start + timedelta(days=run.sim.config.days) - timedelta(seconds=1))
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for op, (at, n, bad) in inspected.items():
        if first_day <= day.day_of(at) <= last_day:
            line = plant.line_of[equipment_of[op]]
            total[line] += n
            passed[line] += n - bad
    body = api.get(
        "/api/v1/metrics/first_pass_yield", params={"period": f"{first_day}..{last_day}", "group_by": "line"}
    ).json()
    assert {r["line"]: r["value"] for r in body["rows"]} == pytest.approx(
        {k: passed[k] / total[k] for k in total}
    )
    start = run.start
    done = [wo for wo in run.sim.plant.records.work_orders if wo.completed_s is not None]
    on_time = sum(1 for wo in done if wo.completed_s <= wo.due_s)
    lead_h = sum(wo.completed_s - wo.released_s for wo in done) / len(done) / 3600
    period = f"{day.day_of(start) - timedelta(days=1)}..{last_day + timedelta(days=1)}"
    otd = api.get("/api/v1/metrics/on_time_delivery", params={"period": period}).json()["rows"][0]["value"]
    lead = api.get("/api/v1/metrics/order_lead_time_h", params={"period": period}).json()["rows"][0]["value"]
    assert otd == pytest.approx(on_time / len(done))
    assert lead == pytest.approx(lead_h)
