"""Personal data is masked for those who should not see it, and every unmasked read is audited.

Which columns are personal data is declared once (:data:`SENSITIVE_COLUMNS`, extended per deployment and
shown in the catalog). A subject holding the ``sensitive`` permission (managers, administrators) sees them
in clear — and the read is written to the audit log with the columns and row count; everyone else gets
``mask_person`` values (first character kept, so that a shift lead can still tell people apart in a
list). Masking is applied to rows as they leave the data platform, so no reader can forget it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from plantloop.dataplatform.access.scope import Subject

#: Columns that hold personal data, by name, wherever they appear.
SENSITIVE_COLUMNS: frozenset[str] = frozenset(
    {"person_name", "operator_name", "employee_name", "inspector_name", "approver_name", "phone", "email"}
)


class AuditSink(Protocol):
    def record(self, actor: str, action: str, target: str, *, outcome: str = "ok", **details: Any) -> Any: ...


def mask_person(value: object) -> object:
    """``"王小明" → "王**"``, ``"John Smith" → "J*********"``; ``None`` stays ``None``."""
    if value is None:
        return None
    text = str(value)
    return text[:1] + "*" * max(len(text) - 1, 2) if text else text


class Masking:
    def __init__(self, audit: AuditSink | None = None, sensitive: Iterable[str] = SENSITIVE_COLUMNS) -> None:
        self.audit = audit
        self.sensitive = frozenset(sensitive)

    def columns_to_mask(self, columns: Sequence[str]) -> list[str]:
        return [c for c in columns if c in self.sensitive]

    def rows(
        self, subject: Subject | None, rows: list[dict[str, Any]], *, source: str
    ) -> list[dict[str, Any]]:
        """``rows`` as ``subject`` may see them (``None`` = a system job: clear, not audited)."""
        if not rows:
            return rows
        hits = self.columns_to_mask(list(rows[0]))
        if not hits or subject is None:
            return rows
        if subject.can("sensitive"):
            if self.audit is not None:
                self.audit.record(
                    subject.username, "access.read_sensitive", source, columns=hits, rows=len(rows)
                )
            return rows
        return [{k: (mask_person(v) if k in hits else v) for k, v in row.items()} for row in rows]

    def tuples(
        self, subject: Subject | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, source: str
    ) -> Iterable[tuple[Any, ...]]:
        """The same for a stream of tuples (exports): masks lazily, audits once before the first row."""
        hits = {i for i, c in enumerate(columns) if c in self.sensitive}
        if not hits or subject is None:
            yield from (tuple(r) for r in rows)
            return
        if subject.can("sensitive"):
            if self.audit is not None:
                names = [columns[i] for i in sorted(hits)]
                self.audit.record(
                    subject.username, "access.read_sensitive", source, columns=names, rows="stream"
                )
            yield from (tuple(r) for r in rows)
            return
        for row in rows:
            yield tuple(mask_person(v) if i in hits else v for i, v in enumerate(row))
