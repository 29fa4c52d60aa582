"""Compiling a field dictionary: one generated, vectorized SELECT per table, and the lineage it implies.

:func:`compile_table` is pure — dictionary + source column types → SQL text and :class:`FieldLineage`
records — so a warehouse model can embed the SELECT (:attr:`CompiledTable.select_sql`); running it on a
database is :mod:`dictionary_apply`'s job. The engine's spelling of casts, JSON and time zones sits in a
dialect class (:class:`DuckDBDialect`); another engine (Spark SQL) gets its own class, the plan stays.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from plantloop.dataplatform.governance.dictionary import (
    FieldSpec,
    FieldType,
    OnUnmapped,
    SourceDictionary,
    TableDictionary,
)
from plantloop.dataplatform.governance.errors import MissingSourceFieldError
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified
from plantloop.dataplatform.governance.units import linear_conversion


class SqlDialect(Protocol):
    def sql_type(self, kind: FieldType) -> str: ...
    def as_text(self, expr: str) -> str: ...
    def try_cast(self, expr: str, kind: FieldType) -> str: ...
    def parse_time(self, text_expr: str, fmt: str, kind: FieldType) -> str: ...
    def json_text(self, column_expr: str, path: str) -> str: ...
    def json_texts(self, column_expr: str, paths: Sequence[str]) -> str: ...
    def item(self, list_expr: str, position: int) -> str: ...
    def wall_time_to_utc(self, timestamp_expr: str, zone: str) -> str: ...


class DuckDBDialect:
    _TYPES: ClassVar[dict[FieldType, str]] = {
        FieldType.STRING: "VARCHAR",
        FieldType.INTEGER: "BIGINT",
        FieldType.FLOAT: "DOUBLE",
        FieldType.BOOLEAN: "BOOLEAN",
        FieldType.TIMESTAMP: "TIMESTAMPTZ",
        FieldType.DATE: "DATE",
    }

    def sql_type(self, kind: FieldType) -> str:
        return self._TYPES[kind]

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def try_cast(self, expr: str, kind: FieldType) -> str:
        target = "TIMESTAMP" if kind is FieldType.TIMESTAMP else self._TYPES[kind]
        return f"TRY_CAST({expr} AS {target})"

    def parse_time(self, text_expr: str, fmt: str, kind: FieldType) -> str:
        parsed = f"try_strptime({text_expr}, {literal(fmt)})"
        return f"CAST({parsed} AS DATE)" if kind is FieldType.DATE else parsed

    def json_text(self, column_expr: str, path: str) -> str:
        return f"json_extract_string({column_expr}, {literal(path)})"

    def json_texts(self, column_expr: str, paths: Sequence[str]) -> str:
        # one parse of the document for every path (a list of texts)
        return f"json_extract_string({column_expr}, [{', '.join(literal(p) for p in paths)}])"

    def item(self, list_expr: str, position: int) -> str:
        return f"{list_expr}[{position}]"  # 1-based

    def wall_time_to_utc(self, timestamp_expr: str, zone: str) -> str:
        # timezone(zone, TIMESTAMP) reads the wall time in `zone` and returns the instant (TIMESTAMPTZ).
        return f"timezone({literal(zone)}, {timestamp_expr})"


DUCKDB = DuckDBDialect()


@dataclass(frozen=True)
class FieldLineage:
    """One edge of column lineage: which source field became which canonical column, and how."""

    dictionary: str
    dictionary_version: int
    source_table: str
    source_field: str
    target_table: str
    target_column: str
    transformation: str
    expression: str


@dataclass(frozen=True)
class FieldPlan:
    """How one field is computed: the raw, pre-cast, typed and final SQL expressions."""

    spec: FieldSpec
    target: str
    raw: str | None  # None: optional field absent in the source
    pre_cast: str | None
    typed: str | None
    expression: str
    source_is_instant: bool = False
    blank_to_null: bool = False


@dataclass(frozen=True)
class CompiledTable:
    source_table: str
    target_table: str
    select_sql: str
    from_sql: str  # the FROM clause of select_sql (alias ``s``), for queries over the same rows
    lineage: tuple[FieldLineage, ...]
    missing_optional: tuple[str, ...]
    plans: tuple[FieldPlan, ...] = field(repr=False)


def _plan_field(
    dictionary: SourceDictionary,
    spec: FieldSpec,
    columns: dict[str, tuple[str, str]],
    dialect: SqlDialect,
) -> FieldPlan:
    target = spec.target or spec.source
    kind = spec.type
    sql_type = dialect.sql_type(kind)
    found = columns.get(spec.source.lower())
    if found is None:
        value = f"CAST({literal(spec.default)} AS {sql_type})"
        return FieldPlan(spec, target, None, None, None, f"{value} AS {ident(target)}")
    raw, source_type = found
    if spec.json_path:
        raw = dialect.json_text(raw, spec.json_path)
        source_type = "VARCHAR"
    blank_to_null = spec.blank_as_null and _is_text(source_type)
    if blank_to_null:
        # legacy systems write '' (or padding) for "no value": make it NULL before codes and casts
        raw = f"(CASE WHEN trim({raw}) = '' THEN NULL ELSE {raw} END)"
    value = raw
    if spec.codes is not None:
        text = f"trim({dialect.as_text(raw)})"
        keys = spec.codes.map
        if spec.codes.case_insensitive:
            text = f"lower({text})"
            keys = {k.lower(): v for k, v in keys.items()}
        whens = " ".join(f"WHEN {literal(k.strip())} THEN {literal(v)}" for k, v in keys.items())
        otherwise = dialect.as_text(raw) if spec.codes.on_unmapped is OnUnmapped.KEEP else "NULL"
        value = f"(CASE {text} {whens} ELSE {otherwise} END)"
    pre_cast = value
    is_instant = False
    if kind is FieldType.STRING:
        typed = dialect.as_text(value)
    elif kind in (FieldType.TIMESTAMP, FieldType.DATE) and spec.format:
        typed = dialect.parse_time(dialect.as_text(value), spec.format, kind)
    elif kind is FieldType.TIMESTAMP and source_type.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        typed, is_instant = value, True  # already an instant
    else:
        typed = dialect.try_cast(value, kind)
    value = typed
    if kind is FieldType.TIMESTAMP and not is_instant:
        zone = spec.timezone or (dictionary.timezone if spec.local_time else "UTC")
        value = dialect.wall_time_to_utc(value, zone)
    if spec.unit is not None:
        scale, offset = linear_conversion(spec.unit.from_unit, spec.unit.to_unit)
        value = f"(CAST({value} AS DOUBLE) * {literal(scale)} + {literal(offset)})"
        if kind is FieldType.INTEGER:
            value = f"round({value})"
    if spec.default is not None:
        value = f"COALESCE({value}, CAST({literal(spec.default)} AS {sql_type}))"
    expression = f"CAST({value} AS {sql_type}) AS {ident(target)}"
    return FieldPlan(spec, target, raw, pre_cast, typed, expression, is_instant, blank_to_null)


def _is_text(sql_type: str) -> bool:
    return sql_type.upper().split("(")[0] in ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "JSON")


def _describe(spec: FieldSpec, plan: FieldPlan, dictionary: SourceDictionary) -> str:
    if plan.raw is None:
        return f"absent in source; constant {spec.default!r}"
    steps = [f"rename {spec.source}{'.' + spec.json_path if spec.json_path else ''} -> {plan.target}"]
    if plan.blank_to_null:
        steps.append("blank -> NULL")
    if spec.codes is not None:
        steps.append(f"code map ({len(spec.codes.map)} codes, unmapped: {spec.codes.on_unmapped.value})")
    steps.append(f"cast {spec.type.value}" + (f" ({spec.format})" if spec.format else ""))
    if plan.source_is_instant:
        steps.append("source is already an instant (TIMESTAMPTZ): no zone conversion")
    elif spec.type is FieldType.TIMESTAMP:
        zone = spec.timezone or (dictionary.timezone if spec.local_time else "UTC")
        steps.append(f"local time {zone} -> UTC" if zone != "UTC" else "UTC")
    if spec.unit is not None:
        steps.append(f"unit {spec.unit.from_unit} -> {spec.unit.to_unit}")
    if spec.default is not None:
        steps.append(f"default {spec.default!r}")
    return "; ".join(steps)


PAYLOAD_LIST = "__payload"


def json_path(key: str) -> str:
    """A JSON path to a top-level key, quoted so that any key (spaces, 工单号) works."""
    return '$."' + key.replace('"', '\\"') + '"'


def payload_fields(table: TableDictionary, source_columns: Collection[str]) -> list[str]:
    """Fields read from the payload JSON: those that are not columns, when the table has a payload column."""
    lower = {c.lower() for c in source_columns}
    staged = PAYLOAD_LIST in lower
    if table.payload_column is None or (table.payload_column.lower() not in lower and not staged):
        return []
    return [f.source for f in table.fields if f.source.lower() not in lower and not f.json_path]


def compile_table(
    dictionary: SourceDictionary,
    table: TableDictionary | str,
    source_columns: dict[str, str],
    dialect: SqlDialect = DUCKDB,
    *,
    strict: bool = True,
    payload_keys: Collection[str] | None = None,
    source_relation: str | None = None,
) -> CompiledTable:
    """Build the SELECT for one table from the source's ``{column: type}``.

    A field the dictionary names but the source lacks is an error (:class:`MissingSourceFieldError`,
    naming every such field) — unless ``strict`` is off and the field is optional: it then becomes its
    default (or NULL) and is listed in ``missing_optional``. Required fields are never optional.
    With ``payload_column`` set on the table, a field that is not a column is read from that JSON
    column (parsed once per row); ``payload_keys`` are the keys present there (None: not known, every
    field assumed present). ``source_relation`` reads from another relation than the ODS table (a staged
    copy that already has the ``__payload`` list); lineage still names the ODS table.
    """
    table = dictionary.table(table) if isinstance(table, str) else table
    source_table = dictionary.source_table_of(table)
    target_table = dictionary.target_table_of(table)
    relation = qualified(source_relation or source_table)
    paths = payload_fields(table, source_columns)
    columns = {name.lower(): (ident(name), kind) for name, kind in source_columns.items()}
    from_sql = f"{relation} AS s"
    from_payload: dict[str, str] = {}  # lower field name -> "payload.Key", for lineage
    if paths:
        if PAYLOAD_LIST not in source_columns:
            payload_sql = columns[str(table.payload_column).lower()][0]
            extract = dialect.json_texts(payload_sql, [json_path(p) for p in paths])
            from_sql = f"(SELECT *, {extract} AS {ident(PAYLOAD_LIST)} FROM {relation}) AS s"
        for position, key in enumerate(paths, start=1):
            if payload_keys is None or key in payload_keys:
                columns[key.lower()] = (dialect.item(ident(PAYLOAD_LIST), position), "VARCHAR")
                from_payload[key.lower()] = f"{table.payload_column}.{key}"
    missing = [
        spec.source
        for spec in table.fields
        if (strict or spec.required) and spec.source.lower() not in columns
    ]
    missing += [col for col in table.passthrough if col.lower() not in columns]
    if missing:
        internal = {PAYLOAD_LIST, "__payload_keys"}
        available = sorted([c for c in source_columns if c not in internal] + list(payload_keys or []))
        raise MissingSourceFieldError(source_table, missing, available)
    plans = tuple(_plan_field(dictionary, spec, columns, dialect) for spec in table.fields)
    select_items = [plan.expression for plan in plans]
    select_items += [f"{columns[col.lower()][0]} AS {ident(col)}" for col in table.passthrough]
    select_sql = "SELECT\n  " + ",\n  ".join(select_items) + f"\nFROM {from_sql}"
    lineage = tuple(
        FieldLineage(
            dictionary=dictionary.source,
            dictionary_version=dictionary.version,
            source_table=source_table,
            source_field=from_payload.get(plan.spec.source.lower(), plan.spec.source),
            target_table=target_table,
            target_column=plan.target,
            transformation=_describe(plan.spec, plan, dictionary),
            expression=plan.expression,
        )
        for plan in plans
    ) + tuple(
        FieldLineage(dictionary.source, dictionary.version, source_table, col, target_table, col, "copy", col)
        for col in table.passthrough
    )
    missing_optional = tuple(plan.spec.source for plan in plans if plan.raw is None)
    return CompiledTable(source_table, target_table, select_sql, from_sql, lineage, missing_optional, plans)
