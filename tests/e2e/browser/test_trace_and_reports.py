"""Order traceability from a sales order down to raw events (and refused outside one's scope), and report
exports downloaded from the browser whose contents match the report run (with the user's row scope)."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from pypdf import PdfReader

from plantloop.api.scope import LineResolver
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.ui.trace import build_trace, raw_events
from tests.e2e.browser.plant import ServedPlant


def _order_on(plant: ServedPlant, lines: set[str], *, with_sales_order: bool = True) -> Any:
    resolver = LineResolver(plant.container.queries)
    for status in (WorkOrderStatus.COMPLETED, WorkOrderStatus.IN_PROGRESS):
        for wo in plant.container.queries.work_orders(status=status, limit=500):
            if wo.parent_work_order_id or (with_sales_order and not wo.sales_order_id):
                continue
            if resolver.of_work_order(wo) <= lines:
                return wo
    raise AssertionError(f"the simulation made no order on {lines}")


def test_a_sales_order_traces_to_operations_lots_inspections_and_raw_events(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    wo = _order_on(plant, {"L1", "FAB"})
    trace = build_trace(plant.container.queries, wo.sales_order_id)
    assert trace is not None and trace.timeline
    page = open_as("manager", f"/trace?key={wo.sales_order_id}")
    page.wait_for_selector("[data-test=trace-timeline]")
    assert page.inner_text("[data-test=trace-sales-order]") == wo.sales_order_id
    entries = page.locator("[data-test=trace-timeline] .q-timeline__entry")
    assert entries.count() >= len(trace.timeline)
    text = page.inner_text("[data-test=trace-timeline]")
    assert "Started" in text and wo.id in text
    screenshot(page, "order_traceability")
    page.locator("[data-test=trace-events]").click()
    records = raw_events(plant.container.queries, trace.subjects)
    page.wait_for_selector(f"text=Raw MES events ({len(records)})")
    assert records[0].envelope.type in page.inner_text("[data-test=trace-events]")
    screenshot(page, "order_traceability_raw_events")


def test_an_order_of_another_line_is_not_found_for_a_scoped_user(plant: ServedPlant, open_as: Any) -> None:
    other = _order_on(plant, {"L2", "L3"})
    resolver = LineResolver(plant.container.queries)
    assert "L1" not in resolver.of_work_order(other)
    page = open_as("operator_l1", f"/trace?key={other.id}")
    page.wait_for_selector("[data-test=trace-not-found]")
    assert other.id not in page.inner_text("body").replace(f'"{other.id}"', "")
    mine = _order_on(plant, {"L1", "FAB"})
    page.goto(page.url.split("/trace")[0] + f"/trace?key={mine.id}")
    page.wait_for_selector("[data-test=trace-timeline]")


def _download(page: Any, button: str) -> bytes:
    with page.expect_download() as info:
        page.locator(f"[data-test={button}]").click()
    path = info.value.path()
    return bytes(open(path, "rb").read())


def test_a_report_exports_as_xlsx_csv_and_pdf_with_the_rows_of_the_run(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    ctx = plant.ctx
    expected = list(ctx.reports.run(ctx.report_connection(), "daily_production", {}, None).rows())
    assert expected, "the report has rows to export"
    page = open_as("manager", "/reports?report=daily_production")
    page.wait_for_selector("[data-test=report-table]")
    assert f"of {len(expected)} rows" in page.inner_text("[data-test=report-count]")
    screenshot(page, "reports")
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "export-xlsx")))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("Day", "Line")
    assert len(rows) - 1 == len(expected)
    assert [(r[0].date(), r[1], r[2]) for r in rows[1:]] == [(e[0], e[1], e[2]) for e in expected]
    parsed = list(csv.reader(io.StringIO(_download(page, "export-csv").decode("utf-8-sig"))))
    assert [(p[1], int(p[2])) for p in parsed[1:]] == [(e[1], e[2]) for e in expected]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_download(page, "export-pdf"))).pages)
    assert "Daily production by line" in text and expected[0][1] in text


def test_a_scoped_users_export_holds_only_its_lines(plant: ServedPlant, open_as: Any) -> None:
    page = open_as("quality_l2", "/reports?report=daily_production")
    page.wait_for_selector("[data-test=report-table]")
    parsed = list(csv.reader(io.StringIO(_download(page, "export-csv").decode("utf-8-sig"))))
    assert parsed[1:] and {p[1] for p in parsed[1:]} == {"L2"}


def test_roles_without_export_get_no_download_and_the_api_refuses_them(
    plant: ServedPlant, open_as: Any
) -> None:
    import httpx

    page = open_as("operator", "/reports?report=daily_production")
    page.wait_for_selector("[data-test=report-table]")
    assert page.locator("[data-test=export-xlsx]").count() == 0
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    r = httpx.get(f"{plant.base_url}/api/v1/reports/daily_production/export?format=csv", cookies=cookies)
    assert r.status_code == 403
