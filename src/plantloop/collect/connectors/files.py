"""CSV / Excel import of ERP orders, QMS results and supplier lots, with a validation report per row.

Cells are converted to the kinds declared by the entity's contract (see
:mod:`plantloop.collect.contracts`); unknown columns are kept as text. The event id comes from the
contract's key columns plus a hash of the row, so importing the same file again lands nothing new, while a
changed row lands as a new version. Excel is read with openpyxl in read-only mode (streamed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from plantloop.collect import strict_json
from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import Contract, FieldKind, SourceKind, contract_for
from plantloop.collect.errors import InvalidSourceInput
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.collect.timestamps import BadTimestamp, parse_timestamp
from plantloop.kernel.ids import deterministic_id

PARSER = "files.row"
_TRUE, _FALSE = {"true", "1", "yes", "y", "pass", "ok"}, {"false", "0", "no", "n", "fail", "ng"}


@dataclass(frozen=True)
class RowReport:
    row_number: int  # 1-based line / sheet row, header = 1
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
    rows: list[RowReport] = field(default_factory=list)

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


class _Undecodable(str):
    """A CSV line that is not valid text in the file's encoding."""


def _coerce(value: Any, kind: FieldKind) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if kind is FieldKind.STRING:
        return str(value)
    if kind is FieldKind.INTEGER:
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    if kind is FieldKind.NUMBER:
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if kind is FieldKind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not a yes/no value")
    if kind is FieldKind.TIMESTAMP:
        return parse_timestamp(value).isoformat()
    return value


def parse_row(
    batch: CandidateBatch,
    source: str,
    source_key: str | None,
    raw: bytes,
    quarantine_id: int | None = None,
    *,
    contract: Contract | None = None,
) -> None:
    """One row (``raw`` = JSON object of column → cell text) → a candidate, or a reject with its reason."""
    entity = (source_key or "").split("#", 1)[0]
    try:
        contract = contract or contract_for(SourceKind.FILES, entity)
    except Exception:
        batch.reject(
            R.UNKNOWN_CONTRACT,
            f"unknown entity {entity!r}",
            source_key=source_key,
            raw=raw,
            quarantine_id=quarantine_id,
        )
        return

    def reject(reason: R, message: str) -> None:
        batch.reject(
            reason,
            message,
            source_key=source_key,
            raw=raw,
            entity=contract.entity,
            quarantine_id=quarantine_id,
        )

    try:
        row = strict_json.loads(raw)
    except (ValueError, RecursionError):
        return reject(R.MALFORMED, "row could not be read")
    if not isinstance(row, dict):
        return reject(R.MALFORMED, "row could not be read")
    payload: dict[str, Any] = {}
    for name, kind in {**contract.fields, **contract.optional}.items():
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in contract.fields:
                return reject(R.MISSING_FIELD, f"column {name!r} is empty or missing")
            continue
        try:
            payload[name] = _coerce(value, kind)
        except (ValueError, TypeError, BadTimestamp) as exc:
            return reject(R.WRONG_TYPE, f"column {name!r}: {exc}"[:300])
    for name, value in row.items():
        if name not in payload and name not in contract.fields and value not in (None, ""):
            payload[str(name)[:63]] = str(value)
    assert contract.event_type and contract.time_field
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]
    batch.add(
        event_id=deterministic_id(
            source, contract.event_type, *[payload[k] for k in contract.key_fields], digest
        ),
        entity=contract.entity,
        type=contract.event_type,
        occurred_at=datetime.fromisoformat(payload[contract.time_field]),
        recorded_at=None,
        payload_json=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        source_key=source_key,
        raw=raw,
        subject=str(payload[contract.key_fields[0]]),
        quarantine_id=quarantine_id,
    )
    return None


def _csv_rows(data: bytes) -> Iterator[dict[str, Any] | _Undecodable]:
    lines: list[str] = []
    bad: set[int] = set()
    for i, line in enumerate(data.splitlines(keepends=True)):
        try:
            lines.append(line.decode("utf-8-sig" if i == 0 else "utf-8"))
        except UnicodeDecodeError:
            bad.add(i)
            lines.append("\n")
    reader = csv.reader(io.StringIO("".join(lines)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidSourceInput("the file is empty") from None
    if 0 in bad:
        raise InvalidSourceInput("the header row is not UTF-8 text", reason=R.BAD_ENCODING.value)
    for cells in reader:
        line_no = reader.line_num - 1
        if line_no in bad:
            yield _Undecodable(data.splitlines()[line_no][:1000].decode("utf-8", errors="backslashreplace"))
        elif any(c.strip() for c in cells):
            yield dict(zip(header, cells, strict=False)) | (
                {"__extra__": cells[len(header) :]} if len(cells) > len(header) else {}
            )
        else:
            yield {}


def _xlsx_rows(path: Path) -> Iterator[dict[str, Any] | _Undecodable]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for cells in rows:
            if any(c is not None and str(c).strip() for c in cells):
                yield {
                    h: (c.isoformat() if isinstance(c, datetime) else c)
                    for h, c in zip(header, cells, strict=False)
                    if h
                }
            else:
                yield {}
    finally:
        book.close()


def import_file(
    path: Path | str, entity: str, landing: Landing, *, source: str = "files:import"
) -> ImportReport:
    """Import one CSV or .xlsx file into ``ods_files__<entity>``; returns the per-row report."""
    path = Path(path)
    contract = contract_for(SourceKind.FILES, entity)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows: Iterator[dict[str, Any] | _Undecodable] = _xlsx_rows(path)
    else:
        rows = _csv_rows(path.read_bytes())
    batch = CandidateBatch(parser=PARSER)
    numbers: list[int] = []
    for index, row in enumerate(rows):
        row_number = index + 2
        key = f"{entity}#{path.name}#{row_number}"
        if isinstance(row, _Undecodable):
            batch.reject(
                R.BAD_ENCODING, "row is not UTF-8 text", source_key=key, raw=row.encode(), entity=entity
            )
        elif not row:
            continue
        elif "__extra__" in row:
            batch.reject(
                R.MALFORMED,
                "row has more cells than the header",
                source_key=key,
                raw=json.dumps(row, default=str).encode(),
                entity=entity,
            )
        else:
            raw = json.dumps(row, default=str, ensure_ascii=False).encode()
            parse_row(batch, source, key, raw, contract=contract)
        numbers.append(row_number)
    result = landing.land(batch, source=source, kind=SourceKind.FILES, want_rows=True)
    report = ImportReport(str(path), entity, source, result.landed, result.duplicates, result.quarantined)
    report.rows = [RowReport(numbers[r.row_no], r.outcome, r.reason, r.message) for r in result.rows]
    return report
