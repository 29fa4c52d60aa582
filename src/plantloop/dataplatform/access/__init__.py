"""Access to governed data, in one place: who sees which rows (line scope), which columns are personal data
and are masked for whom, and the audit of every read of unmasked personal data.

Readers (metrics, reports, exports, API, UI) take a :class:`Subject` — anything with ``username``, ``lines``
(a frozenset of line ids, ``None`` = whole plant) and ``can(permission)``, such as the API's ``Principal`` —
and call :func:`scope_clause` for SQL and :class:`Masking` for rows. Scope of the MES read side lives in
``plantloop.api.scope`` (it filters domain objects, not tables).
"""

from plantloop.dataplatform.access.masking import SENSITIVE_COLUMNS, Masking, mask_person
from plantloop.dataplatform.access.scope import Subject, scope_clause, scope_lines

__all__ = ["SENSITIVE_COLUMNS", "Masking", "Subject", "mask_person", "scope_clause", "scope_lines"]
