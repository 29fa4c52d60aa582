"""The governance run on a few legacy rows: the shipped configuration end to end, in memory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb

from plantloop.dataplatform.governance import StewardQueue, govern, load_governance
from plantloop.dataplatform.governance.crosswalk import Crosswalk
from plantloop.dataplatform.governance.pipeline import remapped_days
from plantloop.dataplatform.ingest.schema import ods_table_ddl
from plantloop.kernel.clock import FakeClock
from plantloop.mes.masterdata.schema import PlantDefinition

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _land(
    con: duckdb.DuckDBPyConnection, rec: int, work_no: str, equip: str, qty: int | None, op: str
) -> None:
    local = (T0 + timedelta(minutes=rec, hours=8)).replace(tzinfo=None)  # Asia/Shanghai wall time
    row = {"RecID": rec, "WorkNo": work_no, "EquipCode": equip, "ReportTime": local.isoformat(), "QtyOK": qty,
           "QtyNG": 0, "OperatorNo": op}  # fmt: skip
    con.execute(
        "INSERT INTO ods_legacy__t_prod_report VALUES (uuid(), 'LegacyRowPulled', 1, ?, ?, NULL, ?, ?, "
        "'legacy:mes/T_PROD_REPORT', ?, ?, 'b1')",
        [T0, T0, str(rec), json.dumps(row), f"T_PROD_REPORT#{rec}", T0 + timedelta(hours=1)],
    )


def test_a_source_that_landed_nothing_still_gets_its_governed_table(reference_plant: PlantDefinition) -> None:
    con = duckdb.connect()
    [run] = govern(con, reference_plant)
    assert run.mapped.rows_in == 0
    columns = [r[0] for r in con.execute("DESCRIBE stg_legacy__production_report").fetchall()]
    assert {"order_id", "equipment_id", "reported_at", "qty_good", "cleaning_flags"} <= set(columns)


def test_legacy_rows_are_mapped_cleaned_resolved_and_checked(reference_plant: PlantDefinition) -> None:
    con = duckdb.connect()
    con.execute(ods_table_ddl("ods_legacy__t_prod_report"))
    _land(con, 1, "WO-1", "AS11", 10, "E1")
    _land(con, 2, "WO-1", "AS11", 10, "E1")
    _land(con, 3, "TEST-9", "BENCH", 1, "TEST")
    _land(con, 4, "WO-2", "MOLDER#7", None, "E2")
    clock = FakeClock(T0 + timedelta(days=1))
    [run] = govern(con, reference_plant, clock=clock)
    data = run.to_dict()
    assert (data["rows_in"], data["rows_out"]) == (4, 4)  # nothing removed: the two bookings differ in time
    assert data["cleaning"]["test_order"] == data["cleaning"]["test_account"] == 1  # flags add up
    assert (data["codes_matched"], data["codes_queued"]) == ({"equipment_id": 1}, {"equipment_id": 1})
    assert data["dq_failed_partitions"] == ["day=2026-11-23"]
    failing = {r.check for r in run.quality.results if r.blocking}  # type: ignore[union-attr]
    assert failing == {"qty_good_complete", "equipment_known"}
    reported = con.execute(
        "SELECT reported_at FROM stg_legacy__production_report WHERE source_record_id = 1"
    ).fetchone()
    assert reported == (T0 + timedelta(minutes=1),)  # Shanghai wall time → the UTC instant

    queue = StewardQueue(Crosswalk(con, load_governance().crosswalk, clock=clock))
    [item] = queue.list_items()
    since = clock.now()
    clock.advance(60)
    queue.map_to(item.item_id, "IM-03", steward="steward.li")
    assert remapped_days(con, load_governance(), since) == [T0.date()]
    assert remapped_days(con, load_governance(), clock.now()) == []
