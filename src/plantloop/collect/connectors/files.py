"""CSV / Excel import of ERP orders, QMS results and supplier lots, with a validation report per row.

Each row becomes a JSON object of column → cell (its raw record, kept by the quarantine); one SQL statement
per file (:func:`parse_sql`) converts the cells to the kinds the entity's contract declares (see
:mod:`plantloop.collect.contracts`), names the first problem of each bad row, and keeps unknown non-empty
columns as they are (an empty optional column is ``null``). The event id comes from the contract's key
columns plus the whole row (its cells, columns sorted by name), so importing the same file again lands
nothing new — whatever the column order — while a changed row lands as a new version.
Excel is read with openpyxl in read-only mode (streamed). Row numbers in the report are the line (sheet
row) where the record starts; the header is row 1.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from plantloop.collect.contracts import Contract, FieldKind, SourceKind, contract_for
from plantloop.collect.errors import InvalidSourceInput
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.event_ids import key_part as key_escape
from plantloop.collect.landing import Landing
from plantloop.collect.sql import lit, run_table_parser, source_table
from plantloop.dataplatform.ingest.store import OdsStore

PARSER = "files.row"
TRUE_WORDS = ("true", "1", "yes", "y", "pass", "ok")
FALSE_WORDS = ("false", "0", "no", "n", "fail", "ng")


@dataclass(frozen=True)
class RowReport:
    row_number: int  # 1-based line / sheet row where the record starts, header = 1
    outcome: str  # landed | duplicate | quarantined
    reason: str | None = None
    message: str | None = None


@dataclass
class ImportReport:
    file: str
    entity: str
    source: str
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    #: One row per record: row_number, outcome, reason, message (columnar; :attr:`rows` as objects).
    outcomes: pa.Table | None = None

    @property
    def rows(self) -> list[RowReport]:
        if self.outcomes is None:
            return []
        columns = [c.to_pylist() for c in self.outcomes.columns]
        return [RowReport(*row) for row in zip(*columns, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "entity": self.entity,
            "source": self.source,
            "landed": self.landed,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "rows": [r.__dict__ for r in self.rows],
        }


def _value_sql(cell: str, kind: FieldKind) -> str:
    """The converted value of a cell (NULL when it does not convert)."""
    number = f"TRY_CAST({cell} AS DOUBLE)"
    if kind is FieldKind.STRING or kind is FieldKind.ANY:
        return cell
    if kind is FieldKind.INTEGER:
        return (
            f"CASE WHEN regexp_full_match({cell}, '[+-]?[0-9]{{1,18}}') THEN CAST({cell} AS BIGINT) "
            f"WHEN isfinite({number}) AND {number} = round({number}) AND abs({number}) < 9e15 "
            f"THEN CAST({number} AS BIGINT) END"
        )
    if kind is FieldKind.NUMBER:
        return f"CASE WHEN isfinite({number}) THEN {number} END"
    if kind is FieldKind.BOOLEAN:
        words_true = ", ".join(lit(w) for w in TRUE_WORDS)
        words_false = ", ".join(lit(w) for w in FALSE_WORDS)
        return (
            f"CASE WHEN lower({cell}) IN ({words_true}) THEN true "
            f"WHEN lower({cell}) IN ({words_false}) THEN false END"
        )
    return f"strftime(pl_ts('VARCHAR', {cell}), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'"


_SQL: dict[str, str] = {}


def parse_sql(contract: Contract) -> str:
    """The parse of a table of rows of ``contract`` (parameters: $1 source, $2 received_at, $3 whether rows
    may have columns the contract does not name)."""
    if contract.entity not in _SQL:
        _SQL[contract.entity] = _parse_sql(contract)
    return _SQL[contract.entity]


def _parse_sql(contract: Contract) -> str:
    assert contract.event_type and contract.time_field and contract.key_fields
    every = {**contract.fields, **contract.optional}
    names = list(every)
    index = {name: i for i, name in enumerate(names)}
    cells = ",\n        ".join(f"nullif(trim(m[{lit(name)}]), '') AS c_{i}" for i, name in enumerate(names))
    values = ",\n        ".join(
        f"{_value_sql(f'c_{i}', kind)} AS v_{i}" for i, kind in enumerate(every.values())
    )
    rules = []
    for i, name in enumerate(names):
        if name in contract.fields:
            missing = lit(f"column {name!r} is empty or missing")
            rules.append(f"WHEN c_{i} IS NULL THEN ['{R.MISSING_FIELD}', {missing}]")
    for i, (name, kind) in enumerate(every.items()):
        rules.append(
            f"WHEN c_{i} IS NOT NULL AND v_{i} IS NULL THEN ['{R.WRONG_TYPE}', "
            f"{lit(f'column {name!r}: ')} || left(c_{i}, 60) || {lit(f' is not a {kind.value}')}]"
        )
    known = ", ".join(lit(n) for n in names)
    converted = ", ".join(f"{lit(name)}, v_{i}" for i, name in enumerate(names))
    key_parts = " || chr(31) || ".join(
        f"pl_key_part(CAST(v_{index[k]} AS VARCHAR))" for k in contract.key_fields
    )
    return f"""
WITH s AS (
    SELECT *, TRY(decode(raw)) AS txt FROM _src
), j AS (
    -- one parse per row: column -> cell text
    SELECT *, TRY(json_transform(txt, '"MAP(VARCHAR, VARCHAR)"')) AS m FROM s
), c AS (
    SELECT *,
        {cells},
        CASE WHEN $3 THEN map_from_entries(list_filter(map_entries(m),
            x -> NOT list_contains([{known}], x.key) AND nullif(trim(x.value), '') IS NOT NULL))
            ELSE MAP {{}}::MAP(VARCHAR, VARCHAR) END AS extras
    FROM j
), v AS (
    SELECT *,
        {values}
    FROM c
), p AS (
    SELECT *, CASE WHEN pre_reason IS NOT NULL THEN [pre_reason, pre_message]
        WHEN txt IS NULL THEN ['{R.BAD_ENCODING}', 'row is not UTF-8 text']
        WHEN m IS NULL THEN ['{R.MALFORMED}', 'row could not be read']
        {" ".join(rules)}
    END AS problem FROM v
), o AS (
    SELECT *, CASE WHEN problem IS NULL THEN json_object({converted}) END AS converted FROM p
), h AS (
    -- the whole row (its raw text, columns sorted by name) is part of the key: a changed row is a new version
    SELECT *, CASE WHEN problem IS NULL THEN pl_sha1(
        pl_key_part($1) || chr(31) || {lit(key_escape(contract.event_type))} || chr(31) || {key_parts}
        || chr(31) || pl_key_part(txt)
    ) END AS digest
    FROM o
)
SELECT row_no,
    pl_uuid_fmt(digest) AS event_id,
    {lit(contract.entity)} AS entity,
    CASE WHEN problem IS NULL THEN {lit(contract.event_type)} END AS type,
    1 AS schema_version,
    CASE WHEN problem IS NULL THEN CAST(v_{index[contract.time_field]} AS TIMESTAMPTZ) END AS occurred_at,
    $2::TIMESTAMPTZ AS recorded_at,
    NULL AS equipment_path,
    CASE WHEN problem IS NULL THEN CAST(v_{index[contract.key_fields[0]]} AS VARCHAR) END AS subject,
    CASE WHEN problem IS NULL THEN CAST(CASE WHEN cardinality(extras) = 0 THEN converted
        ELSE json_merge_patch(to_json(extras), converted) END AS VARCHAR) END AS payload,
    source_key, raw, false AS raw_truncated, problem[1] AS reject_reason,
    left(problem[2], 1000) AS reject_message, quarantine_id
FROM h
"""


def parse_rows(
    store: OdsStore,
    source: str,
    records: pa.Table,
    *,
    received_at: datetime | None = None,
    extra_columns: bool = True,
) -> pa.Table:
    """The landing batch of ``records`` (raw = a row's JSON object; source_key = ``<entity>#file#row``).
    ``extra_columns=False`` when the file's header names no column beyond the contract (skips a step)."""
    keys = records.column("source_key").slice(0, 1).to_pylist()
    entity = (keys[0] or "").split("#", 1)[0] if keys else ""
    contract = contract_for(SourceKind.FILES, entity)
    params = [source, received_at or store.clock.now(), extra_columns]
    return run_table_parser(store, parse_sql(contract), records, params)


# ---- reading files --------------------------------------------------------------------------------
@dataclass
class _Rows:
    """Rows of a file as raw records, each with the line where it starts and any reason found early."""

    header: list[str] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    reasons: list[str | None] = field(default_factory=list)
    messages: list[str | None] = field(default_factory=list)

    def add(self, raw: bytes, line: int, reason: R | None = None, message: str | None = None) -> None:
        self.raws.append(raw)
        self.lines.append(line)
        self.reasons.append(reason.value if reason else None)
        self.messages.append(message)


def _decode(data: bytes) -> tuple[str, dict[int, bytes]]:
    """The text of a CSV file; lines that are not UTF-8 are blanked and returned by line number."""
    try:
        return data.decode("utf-8-sig"), {}
    except UnicodeDecodeError:
        pass
    lines, bad = [], {}
    for i, line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(line.decode("utf-8-sig" if i == 1 else "utf-8"))
        except UnicodeDecodeError:
            bad[i] = line.rstrip(b"\r\n")
            lines.append("\n")
    return "".join(lines), bad


def _csv_rows(data: bytes) -> _Rows:
    text, bad = _decode(data)
    if 1 in bad:
        raise InvalidSourceInput("the header row is not UTF-8 text", reason=R.BAD_ENCODING.value)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidSourceInput("the file is empty") from None
    if not any(header):
        raise InvalidSourceInput("the header row is empty")
    rows, dumps, width, previous = _Rows(header), orjson.dumps, len(header), reader.line_num
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if start in bad:
            rows.add(bad[start][:65536], start, R.BAD_ENCODING, "row is not UTF-8 text")
        elif not any(c.strip() for c in cells):
            continue
        elif len(cells) > width:
            rows.add(dumps(cells), start, R.MALFORMED, f"row has {len(cells)} cells, the header {width}")
        else:
            rows.add(dumps(dict(zip(header, cells, strict=False)), option=orjson.OPT_SORT_KEYS), start)
    return rows


def _xlsx_rows(path: Path) -> _Rows:
    """The first sheet's rows; a file that is no workbook, or a damaged one, is an input error."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            return _sheet_rows(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    except (BadZipFile, InvalidFileException, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise InvalidSourceInput(f"{path.name} is not a readable Excel workbook: {exc}"[:300]) from None


def _sheet_rows(sheet_rows: Iterator[tuple[Any, ...]]) -> _Rows:
    rows = _Rows()
    header = [str(h).strip() if h is not None else "" for h in next(sheet_rows, ())]
    if not any(header):
        raise InvalidSourceInput("the first sheet has no header row")
    rows.header = [h for h in header if h]
    for number, cells in enumerate(sheet_rows, start=2):
        if any(c is not None and str(c).strip() for c in cells):
            record = {h: c for h, c in zip(header, cells, strict=False) if h}
            rows.add(orjson.dumps(record, default=str, option=orjson.OPT_SORT_KEYS), number)
    return rows


def import_file(
    path: Path | str, entity: str, landing: Landing, *, source: str = "files:import"
) -> ImportReport:
    """Import one CSV or .xlsx file into ``ods_files__<entity>``; returns the per-row report."""
    path = Path(path)
    contract = contract_for(SourceKind.FILES, entity)
    try:
        is_excel = path.suffix.lower() in (".xlsx", ".xlsm")
        rows = _xlsx_rows(path) if is_excel else _csv_rows(path.read_bytes())
    except OSError as exc:
        raise InvalidSourceInput(f"cannot read {path.name}: {exc.strerror}") from None
    if not rows.raws:  # a header and no rows: an export of a day without any, nothing to land
        return ImportReport(str(path), entity, source)
    keys = [f"{entity}#{path.name}#{line}" for line in rows.lines]
    records = source_table(rows.raws, keys, pre_reasons=rows.reasons, pre_messages=rows.messages)
    known = {*contract.fields, *contract.optional}
    batch = parse_rows(landing.store, source, records, extra_columns=bool(set(rows.header) - known))
    result = landing.land_arrow(batch, source=source, kind=SourceKind.FILES, parser=PARSER, want_rows=True)
    report = ImportReport(str(path), entity, source, result.landed, result.duplicates, result.quarantined)
    if result.outcomes is not None:
        outcomes = result.outcomes
        lines = pc.take(pa.array(rows.lines, pa.int64()), outcomes.column("row_no"))
        report.outcomes = pa.table(
            {
                "row_number": lines,
                "outcome": outcomes.column("outcome"),
                "reason": outcomes.column("reason"),
                "message": outcomes.column("message"),
            }
        )
    return report
