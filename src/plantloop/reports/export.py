"""Export a report run as xlsx, csv or pdf, as a stream of bytes (for FastAPI ``StreamingResponse``).

Rows come from the run in ``fetchmany`` chunks and are written as they arrive; no format holds the
whole result in Python memory:

- **csv**: UTF-8 with BOM (so Excel opens Chinese labels), one ``bytes`` chunk per fetched chunk.
- **xlsx**: XlsxWriter in ``constant_memory`` mode (each row goes to a temporary file as the next one
  starts; text is never turned into formulas, links or numbers), then the zip is spooled out in 64 KiB
  pieces. A data sheet with localized headers, number formats and a frozen header
  row, and a second sheet with the title block (title, parameters, scope, generated_at).
- **pdf**: reportlab platypus, landscape A4, the built-in CID font ``STSong-Light`` for all text (no font
  file needed, Chinese renders), a title block and paginated tables with the header repeated. A PDF is for
  reading, so it stops after ``pdf_max_rows`` rows and says so.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from plantloop.kernel.errors import InvalidInput
from plantloop.reports.definitions import ColumnFormat, ColumnSpec, Lang
from plantloop.reports.query import DEFAULT_CHUNK_ROWS, ReportRun, describe_params

PDF_FONT = "STSong-Light"
_PIECE_BYTES = 64 * 1024
_SPOOL_BYTES = 8 * 1024 * 1024


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    PDF = "pdf"

    @classmethod
    def parse(cls, text: str) -> ExportFormat:
        try:
            return cls(text.lower())
        except ValueError:
            raise InvalidInput(
                f"unknown export format {text!r}; use one of {', '.join(f.value for f in cls)}"
            ) from None

    @property
    def media_type(self) -> str:
        return {
            ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.PDF: "application/pdf",
        }[self]


def filename_for(run: ReportRun, fmt: ExportFormat) -> str:
    return f"{run.report.id}_{run.generated_at:%Y%m%dT%H%M%SZ}.{fmt.value}"


def export_stream(
    run: ReportRun,
    fmt: ExportFormat,
    lang: Lang = Lang.EN,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    pdf_max_rows: int = 5_000,
) -> Iterator[bytes]:
    """The export of ``run`` as byte chunks; consumes (and closes) the run."""
    if fmt is ExportFormat.CSV:
        return _csv_stream(run, lang, chunk_rows)
    if fmt is ExportFormat.XLSX:
        return _spooled(lambda out: write_xlsx(run, out, lang, chunk_rows=chunk_rows))
    return _spooled(lambda out: write_pdf(run, out, lang, max_rows=pdf_max_rows, chunk_rows=chunk_rows))


def export_bytes(run: ReportRun, fmt: ExportFormat, lang: Lang = Lang.EN) -> bytes:
    """The whole export in memory — for mail attachments of bounded size."""
    return b"".join(export_stream(run, fmt, lang))


def export_to_path(run: ReportRun, fmt: ExportFormat, path: Path, lang: Lang = Lang.EN) -> int:
    """Write the export to ``path``; returns the number of bytes written."""
    written = 0
    with path.open("wb") as out:
        for piece in export_stream(run, fmt, lang):
            out.write(piece)
            written += len(piece)
    return written


def _spooled(write: Any) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        write(spool)
        spool.seek(0)
        while piece := spool.read(_PIECE_BYTES):
            yield piece


# -- csv ------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_naive(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_stream(run: ReportRun, lang: Lang, chunk_rows: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label(lang) for c in run.report.columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for chunk in run.chunks(chunk_rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_value(v) for v in row] for row in chunk)
        yield buffer.getvalue().encode("utf-8")


# -- xlsx -----------------------------------------------------------------------------------------


def _number_format(column: ColumnSpec) -> str | None:
    decimals = "." + "0" * column.decimals if column.decimals else ""
    return {
        ColumnFormat.INT: "#,##0",
        ColumnFormat.DECIMAL: f"#,##0{decimals}",
        ColumnFormat.PERCENT: f"0{decimals}%",
        ColumnFormat.DATE: "yyyy-mm-dd",
        ColumnFormat.DATETIME: "yyyy-mm-dd hh:mm:ss",
    }.get(column.format)


def _utc_naive(value: datetime) -> datetime:
    """Excel has no time zones: aware datetimes are written as UTC wall time (the header says UTC)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_naive(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


_SHEET_BAD = re.compile(r"[\[\]\*\?/\\:]")


def write_xlsx(run: ReportRun, out: IO[bytes], lang: Lang, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> int:
    """Stream ``run`` into an xlsx written to ``out``; returns the number of data rows."""
    import xlsxwriter

    options = {
        "constant_memory": True,  # each row is flushed to a temporary file once the next one starts
        # text stays text: a cell value "=HYPERLINK(…)" or "+1" from the plant's data is never a formula,
        # a link or a number in the file (spreadsheet formula injection)
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    wb = xlsxwriter.Workbook(out, options)
    try:
        sheet = wb.add_worksheet(_SHEET_BAD.sub(" ", run.report.title(lang))[:31] or run.report.id)
        sheet.freeze_panes(1, 0)
        columns = run.report.columns
        bold = wb.add_format({"bold": True})
        header = []
        for i, column in enumerate(columns):
            label = column.label(lang)
            if column.format is ColumnFormat.DATETIME:
                label += " UTC"
            header.append(label)
            fmt = _number_format(column)
            # the column's number format applies to every cell written without a format of its own
            sheet.set_column(
                i,
                i,
                max(12, min(40, 2 * len(column.label(lang)))),
                wb.add_format({"num_format": fmt}) if fmt else None,
            )
        sheet.write_row(0, 0, header, bold)
        count = 0
        for chunk in run.chunks(chunk_rows):
            for row in chunk:
                count += 1
                sheet.write_row(count, 0, [_xlsx_value(value) for value in row])
        about = wb.add_worksheet("about" if lang is Lang.EN else "说明")
        for r, (label, value) in enumerate(_title_block(run, lang, count)):
            about.write_string(r, 0, label)
            about.write_string(r, 1, value)
    finally:
        wb.close()  # writes the zip to ``out``
    return count


def _title_block(run: ReportRun, lang: Lang, rows: int) -> list[tuple[str, str]]:
    zh = lang is Lang.ZH
    labels = {p.name: p.label(lang) for p in run.report.parameters}
    block = [
        ("报表" if zh else "Report", run.report.title(lang)),
        ("报表编号" if zh else "Report id", run.report.id),
        (
            "生成时间" if zh else "Generated at",
            run.generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        ),
        ("数据范围（产线）" if zh else "Scope (lines)", _scope_text(run, zh)),
        ("行数" if zh else "Rows", str(rows)),
    ]
    block += [(labels.get(name, name), text) for name, text in describe_params(run.params)]
    return block


def _scope_text(run: ReportRun, zh: bool) -> str:
    if run.scope is None:
        return "全部" if zh else "all"
    return ", ".join(sorted(run.scope)) or ("无" if zh else "none")


# -- pdf ------------------------------------------------------------------------------------------


def format_cell(column: ColumnSpec, value: Any) -> str:
    """Display text of one value according to its column's format."""
    if value is None:
        return ""
    fmt = column.format
    if fmt is ColumnFormat.INT and isinstance(value, int | float | Decimal):
        return f"{value:,.0f}"
    if fmt is ColumnFormat.DECIMAL and isinstance(value, int | float | Decimal):
        return f"{value:,.{column.decimals}f}"
    if fmt is ColumnFormat.PERCENT and isinstance(value, int | float | Decimal):
        return f"{float(value) * 100:.{column.decimals}f}%"
    if isinstance(value, datetime):
        return _utc_naive(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_pdf(
    run: ReportRun,
    out: IO[bytes],
    lang: Lang,
    *,
    max_rows: int = 5_000,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    table_rows: int = 200,
) -> int:
    """Render ``run`` (at most ``max_rows`` rows) as a PDF into ``out``; returns the rows rendered."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    columns = run.report.columns
    rows: list[list[str]] = []
    truncated = False
    for chunk in run.chunks(min(chunk_rows, max_rows + 1)):
        for row in chunk:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append([format_cell(c, v) for c, v in zip(columns, row, strict=True)])
        if truncated:
            run.close()
            break
    title_style = ParagraphStyle("title", fontName=PDF_FONT, fontSize=15, leading=19, spaceAfter=4)
    meta_style = ParagraphStyle("meta", fontName=PDF_FONT, fontSize=8, leading=11)
    story: list[Any] = [Paragraph(_escape(run.report.title(lang)), title_style)]
    for label, value in _title_block(run, lang, len(rows))[1:]:
        story.append(Paragraph(f"{_escape(label)}: {_escape(value)}", meta_style))
    if truncated:
        note = f"仅显示前 {max_rows} 行" if lang is Lang.ZH else f"Only the first {max_rows} rows are shown"
        story.append(Paragraph(_escape(note), meta_style))
    story.append(Spacer(1, 4 * mm))
    page = landscape(A4)
    width = page[0] - 24 * mm
    header = [c.label(lang) for c in columns]
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), PDF_FONT, 7),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        + [
            ("ALIGN", (i, 1), (i, -1), "RIGHT")
            for i, c in enumerate(columns)
            if c.format in {ColumnFormat.INT, ColumnFormat.DECIMAL, ColumnFormat.PERCENT}
        ]
    )
    col_widths = [width / len(columns)] * len(columns)
    for start in range(0, max(len(rows), 1), table_rows):
        table = LongTable([header, *rows[start : start + table_rows]], colWidths=col_widths, repeatRows=1)
        table.setStyle(style)
        story.append(table)
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=run.report.title(lang),
        author="plantloop",
    )
    doc.build(story)
    return len(rows)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
