"""CSV / Excel import with a validation report per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from plantloop.collect.connectors.files import import_file
from plantloop.collect.errors import InvalidSourceInput
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore

CSV = b"""order_no,material_id,qty,due_at,customer
O-1,KETTLE-A,100,2026-02-01T00:00:00Z,Acme Retail
O-2,KETTLE-B,abc,2026-02-02T00:00:00Z,
O-3,,10,2026-02-03T00:00:00Z,
O-4,FAN-A,5,2026-02-04,
"""


def test_each_row_gets_an_outcome_and_bad_rows_their_reason(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(CSV)
    report = import_file(path, "erp_orders", landing)
    assert [(r.row_number, r.outcome, r.reason) for r in report.rows] == [
        (2, "landed", None),
        (3, "quarantined", "wrong_type"),
        (4, "quarantined", "missing_field"),
        (5, "landed", None),
    ]
    rows = store.query(
        "SELECT subject, payload->>'qty', payload->>'customer' FROM ods_files__erp_orders ORDER BY 1"
    )
    assert rows == [("O-1", "100", "Acme Retail"), ("O-4", "5", None)]


def test_importing_the_same_file_again_lands_nothing_new(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(CSV)
    import_file(path, "erp_orders", landing)
    again = import_file(path, "erp_orders", landing)
    assert (again.landed, again.duplicates, again.quarantined) == (0, 2, 2)


def test_an_excel_sheet_is_imported_with_typed_cells(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["lot_no", "supplier_id", "material_id", "qty", "received_at"])
    sheet.append(["SL-1", "SUP-1", "STEEL", 500, datetime(2026, 1, 4, 8, 0)])
    sheet.append(["SL-2", "SUP-1", "STEEL", "many", datetime(2026, 1, 4, 9, 0)])
    path = tmp_path / "lots.xlsx"
    book.save(path)
    report = import_file(path, "supplier_lots", landing)
    assert [(r.row_number, r.outcome) for r in report.rows] == [(2, "landed"), (3, "quarantined")]
    assert store.query("SELECT subject, type FROM ods_files__supplier_lots") == [
        ("SL-1", "SupplierLotReceived")
    ]


def test_the_same_rows_with_the_columns_in_another_order_land_nothing_new_and_a_changed_row_does(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    first, reordered = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("order_no,material_id,qty,due_at\nO-7,P-KET-01,10,2026-02-01T00:00:00Z\n")
    reordered.write_text(
        "qty,due_at,order_no,material_id\n10,2026-02-01T00:00:00Z,O-7,P-KET-01\n"
        "11,2026-02-01T00:00:00Z,O-7,P-KET-01\n"
    )
    assert import_file(first, "erp_orders", landing).landed == 1
    again = import_file(reordered, "erp_orders", landing)
    assert [r.outcome for r in again.rows] == ["duplicate", "landed"]
    versions = store.query("SELECT payload->>'qty' FROM ods_files__erp_orders ORDER BY ingested_at, 1")
    assert versions == [("10",), ("11",)]


def test_a_header_without_rows_lands_nothing_and_is_no_error(tmp_path: Path, landing: Landing) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(CSV.splitlines(keepends=True)[0])
    report = import_file(path, "erp_orders", landing)  # once: "no data contract for files entity ''"
    assert (report.entity, report.landed, report.quarantined, report.rows) == ("erp_orders", 0, 0, [])


def test_a_file_that_is_no_workbook_is_an_input_error_naming_it(tmp_path: Path, landing: Landing) -> None:
    book = Workbook()
    book.active.append(["lot_no", "supplier_id", "material_id", "qty", "received_at"])
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    for name, data in [("random.xlsx", bytes(range(256)) * 8), ("cut.xlsx", whole.read_bytes()[:1500])]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InvalidSourceInput, match=f"{name} is not a readable Excel workbook"):
            import_file(tmp_path / name, "supplier_lots", landing)  # once: a BadZipFile traceback
