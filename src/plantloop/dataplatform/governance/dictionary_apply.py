"""Applying a field dictionary on DuckDB: the canonical table, its lineage, and a report of the data.

:func:`apply_dictionary` checks the source has every field the dictionary names, refuses codes that must
not go unmapped, creates (or appends to) the canonical table with the SELECT of :mod:`dictionary_sql`,
stores lineage in ``field_lineage`` (what a catalog reads) and reports what the data did — cast failures,
unmapped codes, required fields left NULL — so nothing is lost silently. ODS tables that keep the source's
row as JSON (``payload_column``) are parsed once per row into a temporary stage, not once per field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from plantloop.dataplatform.governance.dictionary import (
    FieldType,
    OnUnmapped,
    SourceDictionary,
    TableDictionary,
)
from plantloop.dataplatform.governance.dictionary_sql import (
    DUCKDB,
    PAYLOAD_LIST,
    CompiledTable,
    FieldLineage,
    FieldPlan,
    compile_table,
    json_path,
    payload_fields,
)
from plantloop.dataplatform.governance.errors import CodeMappingError
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified
from plantloop.dataplatform.governance.table_state import table_columns
from plantloop.kernel.ids import new_id


@dataclass(frozen=True)
class ApplyReport:
    """What applying a dictionary did, to store beside the run and show a data engineer."""

    source_table: str
    target_table: str
    rows_in: int
    rows_out: int
    lineage: tuple[FieldLineage, ...]
    cast_failures: dict[str, int]
    unmapped_codes: dict[str, dict[str, int]]
    required_nulls: dict[str, int]
    missing_optional: tuple[str, ...]


FIELD_LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS field_lineage (
  dictionary VARCHAR, dictionary_version INTEGER, source_table VARCHAR, source_field VARCHAR,
  target_table VARCHAR, target_column VARCHAR, transformation VARCHAR, expression VARCHAR,
  recorded_at TIMESTAMPTZ DEFAULT current_timestamp)
"""


def store_field_lineage(con: duckdb.DuckDBPyConnection, records: Sequence[FieldLineage]) -> None:
    """Replace the lineage of each target table named in ``records`` (the catalog reads ``field_lineage``)."""
    con.execute(FIELD_LINEAGE_DDL)
    for target in sorted({r.target_table for r in records}):
        con.execute("DELETE FROM field_lineage WHERE target_table = ?", [target])
    con.executemany(
        "INSERT INTO field_lineage (dictionary, dictionary_version, source_table, source_field, "
        "target_table, target_column, transformation, expression) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                r.dictionary,
                r.dictionary_version,
                r.source_table,
                r.source_field,
                r.target_table,
                r.target_column,
                r.transformation,
                r.expression,
            ]
            for r in records
        ],
    )


def _unmapped(con: duckdb.DuckDBPyConnection, from_sql: str, where: str, plan: FieldPlan) -> dict[str, int]:
    assert plan.spec.codes is not None and plan.raw is not None
    keys = plan.spec.codes.map
    text = f"trim(CAST({plan.raw} AS VARCHAR))"
    if plan.spec.codes.case_insensitive:
        text, keys = f"lower({text})", {k.lower(): v for k, v in keys.items()}
    in_list = ", ".join(literal(k.strip()) for k in keys)
    rows = con.execute(
        f"SELECT CAST({plan.raw} AS VARCHAR) AS v, count(*) FROM {from_sql} "
        f"WHERE {plan.raw} IS NOT NULL AND {text} NOT IN ({in_list}){where} "
        "GROUP BY v ORDER BY 2 DESC, 1 LIMIT 100"
    ).fetchall()
    return {str(v): int(n) for v, n in rows}


def _stage_payload(
    con: duckdb.DuckDBPyConnection,
    source: str,
    payload: str,
    paths: list[str],
    keep: list[str],
    where: str | None,
) -> tuple[str, list[str] | None]:
    """Copy the (filtered) rows once, the payload parsed into a list; returns (stage, keys present).

    Only the columns the dictionary reads are copied (``keep``), not the payload text itself.
    """
    stage = f"__dictionary_stage_{new_id().replace('-', '')}"
    extract = DUCKDB.json_texts(ident(payload), [json_path(p) for p in paths])
    kept = "".join(f"{ident(c)}, " for c in keep)
    con.execute(
        f"CREATE TEMP TABLE {ident(stage)} AS SELECT {kept}{extract} AS {ident(PAYLOAD_LIST)}, "
        f"json_keys(CAST({ident(payload)} AS JSON)) AS __payload_keys FROM {qualified(source)}"
        + (f" WHERE {where}" if where else "")
    )
    rows = con.execute(f"SELECT DISTINCT unnest(__payload_keys) FROM {ident(stage)}").fetchall()
    return stage, ([str(r[0]) for r in rows] or None)


def _audit_source(
    con: duckdb.DuckDBPyConnection, compiled: CompiledTable, where: str | None
) -> tuple[int, dict[str, int], dict[str, dict[str, int]]]:
    """Rows in, cast failures per column and unmapped codes per column — refusing ``fail`` codes."""
    unmapped: dict[str, dict[str, int]] = {}
    for plan in compiled.plans:
        if plan.spec.codes is not None and plan.raw is not None:
            found = _unmapped(con, compiled.from_sql, f" AND ({where})" if where else "", plan)
            if found:
                unmapped[plan.target] = found
                if plan.spec.codes.on_unmapped is OnUnmapped.FAIL:
                    raise CodeMappingError(compiled.source_table, plan.spec.source, sorted(found))
    typed = [p for p in compiled.plans if p.raw is not None and p.spec.type is not FieldType.STRING]
    checks = [
        f"sum(CASE WHEN {p.pre_cast} IS NOT NULL AND {p.typed} IS NULL THEN 1 ELSE 0 END)" for p in typed
    ]
    counts = con.execute(
        f"SELECT count(*), {', '.join(checks) or '0'} FROM {compiled.from_sql}"
        + (f" WHERE {where}" if where else "")
    ).fetchone()
    assert counts is not None
    failures = {p.target: int(n) for p, n in zip(typed, counts[1:], strict=False) if n}
    return int(counts[0]), failures, unmapped


def apply_dictionary(
    con: duckdb.DuckDBPyConnection,
    dictionary: SourceDictionary,
    table: TableDictionary | str,
    *,
    target_table: str | None = None,
    where: str | None = None,
    append: bool = False,
    store_lineage: bool = True,
    strict: bool = True,
) -> ApplyReport:
    """Create (or append to) the canonical table for ``table`` and report what happened.

    ``where`` filters the source (e.g. one ``batch_id``) for incremental loads; ``append`` inserts into
    an existing target instead of replacing it; ``strict=False`` lets optional fields be absent.
    """
    table = dictionary.table(table) if isinstance(table, str) else table
    source = dictionary.source_table_of(table)
    columns = table_columns(con, source)
    paths = payload_fields(table, columns)
    stage, keys, row_filter = None, None, where
    if paths:
        payload = next(c for c in columns if c.lower() == str(table.payload_column).lower())
        wanted = {f.source.lower() for f in table.fields} | {c.lower() for c in table.passthrough}
        keep = [c for c in columns if c.lower() in wanted and c.lower() != payload.lower()]
        if any(f.json_path and f.source.lower() == payload.lower() for f in table.fields):
            keep.append(payload)
        stage, keys = _stage_payload(con, source, payload, paths, keep, where)
        row_filter = None  # the stage holds the filtered rows only
    try:
        relation_columns = table_columns(con, stage) if stage else columns
        compiled = compile_table(
            dictionary, table, relation_columns, strict=strict, payload_keys=keys, source_relation=stage
        )
        target = target_table or compiled.target_table
        rows_in, cast_failures, unmapped = _audit_source(con, compiled, row_filter)
        filtered = compiled.select_sql + (f"\nWHERE {row_filter}" if row_filter else "")
        if append:
            con.execute(f"INSERT INTO {qualified(target)} BY NAME {filtered}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {qualified(target)} AS {filtered}")
    finally:
        if stage:
            con.execute(f"DROP TABLE IF EXISTS {ident(stage)}")
    required = [p.target for p in compiled.plans if p.spec.required]
    null_counts = [f"count(*) FILTER (WHERE {ident(c)} IS NULL)" for c in required]
    out = con.execute(f"SELECT count(*), {', '.join(null_counts) or '0'} FROM {qualified(target)}").fetchone()
    assert out is not None
    required_nulls = {c: int(n) for c, n in zip(required, out[1:], strict=False) if n}
    lineage = tuple(
        FieldLineage(
            r.dictionary,
            r.dictionary_version,
            r.source_table,
            r.source_field,
            target,
            r.target_column,
            r.transformation,
            r.expression,
        )
        for r in compiled.lineage
    )
    if store_lineage:
        store_field_lineage(con, lineage)
    return ApplyReport(
        source_table=source,
        target_table=target,
        rows_in=rows_in,
        rows_out=int(out[0]),
        lineage=lineage,
        cast_failures=cast_failures,
        unmapped_codes=unmapped,
        required_nulls=required_nulls,
        missing_optional=compiled.missing_optional,
    )
