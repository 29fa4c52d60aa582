"""SQL building blocks of the vectorised parsers: event ids, timestamps and quoting, computed by DuckDB.

Batch sources (REST, CSV / Excel) are parsed by one SQL statement over the whole batch instead of a Python
loop per record (see :func:`run_table_parser`). Their event ids are the same UUIDv5 as
:func:`plantloop.kernel.ids.deterministic_id` — :data:`MACROS` computes it from the joined key with
DuckDB's ``sha1``; ``tests/unit/collect/test_sql_ids.py`` checks that both agree.

Input of a table parser (:data:`SOURCE_SCHEMA`): one row per offered record with its raw bytes (what the
quarantine keeps and a replay hands back) and, optionally, a reason decided before SQL (a CSV line that is
not UTF-8, a row with more cells than the header).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from plantloop.dataplatform.ingest.store import OdsStore
from plantloop.kernel.ids import PLANTLOOP_NAMESPACE

_NS_BLOB = "".join(f"\\x{b:02x}" for b in PLANTLOOP_NAMESPACE.bytes)

#: Temporary macros on the store's cursor: ``pl_uuid_fmt(pl_sha1(key))`` = UUIDv5 of an already joined
#: key; ``pl_key_part(text)`` escapes one part as the kernel does; ``pl_iso(ts)`` writes a time as the
#: kernel does; ``pl_ts(json_type, text)`` reads a source timestamp (ISO-8601 text, naive = UTC, or epoch
#: milliseconds) as TIMESTAMPTZ or NULL.
MACROS = (
    "CREATE OR REPLACE TEMP MACRO pl_uuid_fmt(x) AS substr(x, 1, 8) || '-' || substr(x, 9, 4) || '-5' || "
    "substr(x, 14, 3) || '-' || substr('89ab', (('0x' || substr(x, 17, 1))::INTEGER & 3) + 1, 1) || "
    "substr(x, 18, 3) || '-' || substr(x, 21, 12)",
    f"CREATE OR REPLACE TEMP MACRO pl_sha1(k) AS sha1('{_NS_BLOB}'::BLOB || encode(k))",
    "CREATE OR REPLACE TEMP MACRO pl_key_part(t) AS replace(t, chr(31), '\\x1f')",
    # Python's datetime.isoformat() of an aware UTC time, as the kernel ids use it
    "CREATE OR REPLACE TEMP MACRO pl_iso(ts) AS strftime(ts, '%Y-%m-%dT%H:%M:%S') || CASE "
    "WHEN microsecond(ts) % 1000000 = 0 THEN '' "
    "ELSE '.' || lpad(CAST(microsecond(ts) % 1000000 AS VARCHAR), 6, '0') END || '+00:00'",
    "CREATE OR REPLACE TEMP MACRO pl_ts(jt, txt) AS CASE "
    "WHEN jt = 'VARCHAR' THEN (CASE WHEN isfinite(TRY_CAST(txt AS TIMESTAMPTZ)) "
    "  THEN TRY_CAST(txt AS TIMESTAMPTZ) END) "
    "WHEN jt IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(txt AS DOUBLE) BETWEEN 0 AND 7258118400000 "
    "  THEN to_timestamp(TRY_CAST(txt AS DOUBLE) / 1000.0) END",
)

#: What a table parser reads: one row per offered record.
SOURCE_SCHEMA = pa.schema(
    [
        ("row_no", pa.int64()),
        ("source_key", pa.string()),
        ("raw", pa.binary()),
        ("quarantine_id", pa.int64()),
        ("pre_reason", pa.string()),
        ("pre_message", pa.string()),
    ]
)

#: ``(store, source, records) -> landing batch``: a parser that reads a whole table of records at once.
TableParser = Callable[[OdsStore, str, pa.Table], pa.Table]


def lit(text: str) -> str:
    """A SQL string literal (only for names from our own registries; data always goes in as parameters)."""
    return "'" + text.replace("'", "''") + "'"


def install_macros(store: OdsStore) -> None:
    for ddl in MACROS:
        store.query(ddl)


def source_table(
    raws: Sequence[bytes | None],
    keys: Sequence[str | None],
    *,
    quarantine_ids: Sequence[int | None] | None = None,
    pre_reasons: Sequence[str | None] | None = None,
    pre_messages: Sequence[str | None] | None = None,
) -> pa.Table:
    n = len(raws)
    return pa.table(
        {
            "row_no": pa.array(range(n), pa.int64()),
            "source_key": pa.array(keys, pa.string()),
            "raw": pa.array(raws, pa.binary()),
            "quarantine_id": pa.array(quarantine_ids or [None] * n, pa.int64()),
            "pre_reason": pa.array(pre_reasons or [None] * n, pa.string()),
            "pre_message": pa.array(pre_messages or [None] * n, pa.string()),
        }
    )


def run_table_parser(store: OdsStore, sql: str, records: pa.Table, params: list[object]) -> pa.Table:
    """Run a parser's SQL over ``records`` (registered as ``_src``) and return the landing batch."""
    install_macros(store)
    return store.transform(sql, {"_src": records.cast(SOURCE_SCHEMA)}, params)
