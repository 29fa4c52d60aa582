"""The legacy MES through the whole governance layer, on DuckDB, by configuration only (a rich legacy
schema in ``configs/``).

Raw rows with foreign field names and Shanghai local times → dictionary (canonical names, units, codes,
UTC, lineage) → crosswalk (unknown equipment code to the steward queue, resolved and versioned) →
cleaning (counts per rule) → data quality per local day (a failure marks the downstream partitions,
the steward's fix clears them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    Crosswalk,
    LineageEdge,
    MasterEntity,
    PartitionRef,
    ResolutionStatus,
    StewardQueue,
    apply_cleaning,
    apply_dictionary,
    current_mapping_sql,
    evaluate_quality,
    load_cleaning_config,
    load_dictionary,
    load_quality_config,
    partition_verdict,
    record_partition_lineage,
    seed_from_plant,
)
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.ids import deterministic_id
from plantloop.mes.masterdata import PlantDefinition

# The ODS layout the legacy connector lands (collect/connectors/legacy_db.py → dataplatform/ingest): the
# envelope and lineage columns, and the foreign row as JSON in ``payload`` with its original names.
ODS_DDL = """
CREATE TABLE ods_legacy__t_prod_report (
  event_id UUID PRIMARY KEY, type VARCHAR NOT NULL, schema_version INTEGER NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL, recorded_at TIMESTAMPTZ, equipment_path VARCHAR, subject VARCHAR,
  payload JSON, source VARCHAR NOT NULL, source_key VARCHAR, ingested_at TIMESTAMPTZ NOT NULL,
  batch_id VARCHAR NOT NULL)
"""
SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIGS = Path(__file__).resolve().parent / "configs"


def _row(
    rec: int,
    work_no: str,
    equip: str,
    serial: str,
    report_local: str,
    *,
    operator: str = "E001",
    good: int = 10,
    status: str = "30",
) -> list[object]:
    reported = datetime.fromisoformat(report_local)
    foreign = {
        "RecID": rec,
        "WorkNo": work_no,
        "OperSeq": 10,
        "EquipCode": equip,
        "MatCode": "KT-100",
        "LotNo": "LOT-1",
        "SerialNo": serial,
        "Operator": operator,
        "ShiftNo": 1,
        "GoodQty": good,
        "ScrapQty": 1,
        "NetWeightG": 1500.0,
        "MoldTempF": 410.0,
        "CycleMin": 0.5,
        "Status": status,
        "ReportTime": reported.isoformat(),
        "StartTime": (reported - timedelta(minutes=30)).isoformat(),
        "EndTime": reported.isoformat(),
    }
    occurred = reported.replace(tzinfo=SHANGHAI).astimezone(UTC)
    return [
        deterministic_id("legacy:mes/t_prod_report", "t_prod_report", rec),
        "LegacyRowPulled",
        1,
        occurred,
        occurred,
        None,
        str(rec),
        json.dumps(foreign),
        "legacy:mes/t_prod_report",
        f"t_prod_report#{rec}",
        occurred + timedelta(minutes=2),
        "b-1",
    ]


ROWS = [
    # local day 2026-01-05 (07:30 Shanghai is 23:30 UTC the day before)
    _row(1, "WO-100", "IM-01", "SN-1", "2026-01-05 07:30:00"),
    _row(2, "WO-100", "im 02", "SN-2", "2026-01-05 09:00:00"),
    _row(3, "WO-100", "IM-01", "SN-2", "2026-01-05 09:05:00"),  # serial re-scanned
    _row(4, "TEST-1", "IM-01", "SN-3", "2026-01-05 10:00:00"),  # test order
    _row(5, "WO-101", "IM-03", "SN-4", "2026-01-05 11:00:00", operator="test"),  # test operator
    _row(6, "WO-101", "IM-03", "SN-5", "2026-01-05 12:00:00", good=-4),  # impossible quantity
    # local day 2026-01-06: one report from an equipment code nobody knows, with an unknown status
    _row(7, "WO-102", "IM-01", "SN-6", "2026-01-06 08:00:00"),
    _row(8, "WO-102", "MOLDER#7", "SN-7", "2026-01-06 09:00:00", status="99"),
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(ODS_DDL)
    connection.executemany(f"INSERT INTO ods_legacy__t_prod_report VALUES ({', '.join('?' * 12)})", ROWS)
    return connection


def test_the_legacy_dictionary_yields_canonical_columns_in_utc_with_lineage(
    con: duckdb.DuckDBPyConnection,
) -> None:
    report = apply_dictionary(con, load_dictionary(CONFIGS / "rich_legacy_mes.yaml"), "t_prod_report")
    row = con.execute(
        "SELECT order_id, equipment_id, reported_at, started_at, qty_good, net_weight_kg, "
        "mold_temperature_c, cycle_time_s, operation_state, shift_id, batch_id, source_key "
        "FROM stg_legacy__production_report "
        "WHERE source_record_id = '1'"
    ).fetchone()
    assert row == (
        "WO-100",
        "IM-01",
        datetime(2026, 1, 4, 23, 30, tzinfo=UTC),
        datetime(2026, 1, 4, 23, 0, tzinfo=UTC),
        10,
        pytest.approx(1.5),
        pytest.approx(210.0),
        pytest.approx(30.0),
        "completed",
        "A",
        "b-1",
        "t_prod_report#1",
    )
    assert report.unmapped_codes == {"operation_state": {"99": 1}}
    assert report.cast_failures == {}
    lineage = dict(
        con.execute(
            "SELECT source_field, transformation FROM field_lineage "
            "WHERE source_table = 'ods_legacy__t_prod_report' "
            "AND target_table = 'stg_legacy__production_report'"
        ).fetchall()
    )
    assert len(lineage) == 18 + 6
    assert lineage["payload.ReportTime"].endswith("local time Asia/Shanghai -> UTC")
    assert "unit degF -> degC" in lineage["payload.MoldTempF"]
    assert lineage["payload.WorkNo"].startswith("rename WorkNo -> order_id")
    assert lineage["occurred_at"] == "copy"


def test_governance_end_to_end_from_raw_legacy_rows_to_a_decision_verdict(
    con: duckdb.DuckDBPyConnection, reference_plant: PlantDefinition
) -> None:
    clock = FakeClock(datetime(2026, 1, 7, 1, 0, tzinfo=UTC))
    apply_dictionary(con, load_dictionary(CONFIGS / "rich_legacy_mes.yaml"), "t_prod_report")

    # crosswalk: known codes map (exactly or normalized), the unknown one waits for a steward
    crosswalk = Crosswalk(con, clock=clock)
    seed_from_plant(crosswalk, reference_plant)
    summary = crosswalk.resolve_codes(
        MasterEntity.EQUIPMENT, "legacy", "stg_legacy__production_report", "equipment_id"
    )
    assert summary.count(ResolutionStatus.MATCHED) == 3
    queue = StewardQueue(crosswalk)
    [item] = queue.list_items()
    assert (item.source_code, item.reason.value) == ("MOLDER#7", "no_match")

    # cleaning with the configured rules: a count and a reason per rule
    cleaning = apply_cleaning(
        con,
        load_cleaning_config(CONFIGS / "rich_cleaning.yaml"),
        "stg_legacy__production_report",
        "stg_legacy__production_report_clean",
        clock=clock,
    )
    counts = {o.rule: o.rows_affected for o in cleaning.outcomes}
    assert counts == {
        "test_orders": 1,
        "test_operator": 1,
        "negative_quantity": 1,
        "impossible_mold_temperature": 0,
        "end_before_start": 0,
        "rescanned_serial": 1,
    }
    assert (cleaning.rows_in, cleaning.rows_out) == (8, 4)

    # DQ per local day with the configured checks: day 2 has an unknown equipment and an unmapped state
    quality = load_quality_config(CONFIGS / "rich_quality.yaml")
    quality = quality.model_copy(update={"table": "stg_legacy__production_report_clean"})
    report = evaluate_quality(con, quality, clock=clock)
    assert report.failed_partitions() == ["day=2026-01-06"]
    failing = {r.check for r in report.results if r.blocking}
    assert failing == {"equipment_known", "state_complete"}

    # downstream partitions built on the failed day are marked; the other day's are actionable
    table = "stg_legacy__production_report_clean"
    record_partition_lineage(
        con,
        [
            LineageEdge(
                PartitionRef(table, "day=2026-01-05"), PartitionRef("dws_output_day", "day=2026-01-05")
            ),
            LineageEdge(
                PartitionRef(table, "day=2026-01-06"), PartitionRef("dws_output_day", "day=2026-01-06")
            ),
            LineageEdge(
                PartitionRef("dws_output_day", "day=2026-01-06"), PartitionRef("ads_oee_week", "2026-W02")
            ),
        ],
        clock=clock,
    )
    assert partition_verdict(con, "dws_output_day", "day=2026-01-05").actionable
    verdict = partition_verdict(con, "ads_oee_week", "2026-W02")
    assert not verdict.actionable
    assert {f.check for f in verdict.upstream_failing} == {"equipment_known", "state_complete"}

    # the steward maps the code (a versioned crosswalk row); DWD now resolves every row to a canonical id
    clock.advance(600)
    assert queue.map_to(item.item_id, "IM-03", steward="steward.wang", note="old tag of molder 3") == 1
    mapped = con.execute(
        f"SELECT count(*) FILTER (WHERE m.canonical_id IS NULL) FROM {table} t "
        f"LEFT JOIN ({current_mapping_sql(MasterEntity.EQUIPMENT, 'legacy')}) m "
        "ON m.source_code = t.equipment_id"
    ).fetchone()
    assert mapped == (0,)
    clock.advance(600)
    again = evaluate_quality(con, quality, clock=clock)
    assert {r.check for r in again.results if r.blocking} == {"state_complete"}
    assert [a.action for a in queue.audit_trail(item.item_id)] == ["queued", "mapped"]
