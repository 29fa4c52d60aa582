"""Exports read back: xlsx (openpyxl), csv, pdf (pypdf text); and streaming without holding the rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from typing import Any

import duckdb
import openpyxl
import pytest
from pypdf import PdfReader

from plantloop.reports.definitions import Lang
from plantloop.reports.export import ExportFormat, export_bytes, export_stream, write_pdf
from plantloop.reports.query import ReportRun, ReportRunner


def expected_rows(runner: ReportRunner, con: duckdb.DuckDBPyConnection, scope: set[str] | None) -> list[Any]:
    return list(runner.run(con, "order_delivery", {}, scope).rows())


def test_xlsx_has_localized_headers_formats_all_rows_and_a_title_block(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    rows = expected_rows(runner, con, {"L1"})
    data = export_bytes(runner.run(con, "order_delivery", {}, {"L1"}), ExportFormat.XLSX, Lang.ZH)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["订单交付与延误", "说明"]
    sheet = wb.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("工单", "产品", "产线", "订单数量 (pcs)")
    assert len(values) == 1 + len(rows) == 11
    assert [v[0] for v in values[1:]] == [r[0] for r in rows]
    assert {v[2] for v in values[1:]} == {"L1"}
    assert sheet["D2"].number_format == "#,##0"
    assert sheet["H2"].number_format == "#,##0.0"
    assert sheet["F2"].value == rows[0][5].replace(tzinfo=None)  # due_at, UTC wall time
    about = dict(wb.worksheets[1].iter_rows(values_only=True))
    assert about["数据范围（产线）"] == "L1"
    assert about["交期起"] == "2025-12-11"
    assert about["行数"] == "10"


def test_csv_has_a_bom_labelled_header_and_the_same_rows(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    rows = expected_rows(runner, con, None)
    data = export_bytes(runner.run(con, "order_delivery", {}, None), ExportFormat.CSV, Lang.EN)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == [
        "Work order", "Product", "Line", "Ordered (pcs)", "Good (pcs)",
        "Due", "Completed", "Delay (h)", "Status",
    ]  # fmt: skip
    assert [p[0] for p in parsed[1:]] == [r[0] for r in rows]
    assert parsed[1][5] == rows[0][5].replace(tzinfo=None).isoformat(sep=" ")
    assert float(parsed[1][7]) == pytest.approx(rows[0][7])


def test_pdf_is_paginated_and_carries_chinese_title_parameters_and_rows(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    data = export_bytes(runner.run(con, "order_delivery", {}, None), ExportFormat.PDF, Lang.ZH)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2  # 40 rows do not fit one landscape page
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "订单交付与延误" in text
    assert "生成时间: 2026-01-10T12:00:00+00:00" in text
    assert "交期起: 2025-12-11" in text
    assert "WO-20260110-L3" in text  # the last row made it onto the last page
    assert reader.pages[-1].extract_text().count("工单") == 1  # header repeated on every page


def test_pdf_stops_at_max_rows_and_says_so(runner: ReportRunner, con: duckdb.DuckDBPyConnection) -> None:
    out = io.BytesIO()
    rendered = write_pdf(runner.run(con, "order_delivery", {}, None), out, Lang.EN, max_rows=5)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.getvalue())).pages)
    assert rendered == 5
    assert "Only the first 5 rows are shown" in text
    assert "WO-20260102-FAB" in text and "WO-20260102-L1" not in text


class ChunkSpy:
    """Wraps a run's cursor to record how many rows each fetch returned."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.fetched: list[int] = []

    def fetchmany(self, n: int) -> list[Any]:
        rows: list[Any] = self.cursor.fetchmany(n)
        self.fetched.append(len(rows))
        return rows

    def close(self) -> None:
        self.cursor.close()


def big_run(runner: ReportRunner, con: duckdb.DuckDBPyConnection, rows: int) -> ReportRun:
    con.execute(
        "CREATE OR REPLACE TABLE dw.ads_order_delivery AS SELECT 'WO-' || i AS work_order_id,"
        " 'P1' AS material_id, 'L' || (i % 4) AS line_id, 'in_progress' AS status, 100::BIGINT AS qty,"
        " 99::BIGINT AS qty_good, 1::BIGINT AS qty_scrap, TIMESTAMP '2026-01-03 08:00:00' AS created_at,"
        " TIMESTAMP '2026-01-03 08:00:00' AS released_at, NULL::TIMESTAMP AS completed_at,"
        " TIMESTAMP '2026-01-05 08:00:00' AS due_at, NULL::DATE AS completed_date,"
        " 2::BIGINT AS operations_completed, NULL::DOUBLE AS lead_time_s, NULL::BOOLEAN AS on_time,"
        " NULL::DOUBLE AS delay_s"
        " FROM range(?) t(i)",
        [rows],
    )
    return runner.run(con, "order_delivery", {}, None)


@pytest.mark.parametrize(("fmt", "rows"), [(ExportFormat.XLSX, 20_000), (ExportFormat.CSV, 50_000)])
def test_large_exports_read_bounded_chunks_never_the_whole_result(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection, fmt: ExportFormat, rows: int
) -> None:
    run = big_run(runner, con, rows)
    spy = ChunkSpy(run._cursor)
    run._cursor = spy  # type: ignore[assignment]
    size = sum(len(piece) for piece in export_stream(run, fmt, chunk_rows=2_000))
    assert sum(spy.fetched) == rows
    assert max(spy.fetched) <= 2_000 and len(spy.fetched) >= rows // 2_000
    assert size > rows * 10


@pytest.mark.parametrize(("fmt", "rows"), [(ExportFormat.XLSX, 10_000), (ExportFormat.CSV, 30_000)])
def test_streaming_export_peaks_below_half_of_holding_the_rows(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection, fmt: ExportFormat, rows: int
) -> None:
    import openpyxl.cell  # noqa: F401  (imports are not what is measured)

    tracemalloc.start()
    held = list(big_run(runner, con, rows).rows(chunk_rows=rows))
    _, holding_peak = tracemalloc.get_traced_memory()
    del held
    tracemalloc.reset_peak()
    run = big_run(runner, con, rows)
    for _ in export_stream(run, fmt, chunk_rows=500):
        pass
    _, streaming_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert streaming_peak < holding_peak / 2, (streaming_peak, holding_peak)


def test_csv_bytes_flow_before_the_cursor_is_drained(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    run = big_run(runner, con, 10_000)
    spy = ChunkSpy(run._cursor)
    run._cursor = spy  # type: ignore[assignment]
    stream = export_stream(run, ExportFormat.CSV, chunk_rows=1_000)
    next(stream)  # header
    first = next(stream)
    assert first.count(b"\r\n") == 1_000
    assert sum(spy.fetched) == 1_000  # only one chunk has been read so far
    assert ExportFormat.parse("CSV") is ExportFormat.CSV


def test_xlsx_keeps_text_that_looks_like_a_formula_a_link_or_a_number_as_text(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    first = expected_rows(runner, con, None)[0][0]
    tricky = ['=HYPERLINK("http://x.invalid","click")', "https://x.invalid/a", "+1"]
    for i, text in enumerate(tricky):
        con.execute(
            "UPDATE dw.ads_order_delivery SET material_id = ? WHERE work_order_id = (SELECT work_order_id "
            "FROM dw.ads_order_delivery ORDER BY due_at, work_order_id OFFSET ? LIMIT 1)",
            [text, i],
        )
    data = export_bytes(runner.run(con, "order_delivery", {}, None), ExportFormat.XLSX, Lang.EN)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A2"].value == first
    assert [sheet.cell(row=2 + i, column=2).value for i in range(3)] == tricky
    assert [sheet.cell(row=2 + i, column=2).data_type for i in range(3)] == ["s", "s", "s"]
    assert sheet.cell(row=2, column=2).hyperlink is None
