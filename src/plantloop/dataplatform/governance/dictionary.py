"""The field dictionary: a declarative mapping from one source's raw tables to canonical columns.

One YAML file per source (``config/dictionary/<source>.yaml``) says, field by field: rename (``WorkNo →
order_id``, or leave ``target`` out and let the :mod:`glossary` name it), cast, unit conversion
(``g → kg``), code mapping (legacy status codes → canonical enum values), local time → UTC (with the
source's time zone), required / optional and defaults. Mapping a new source is a new YAML file, never code.

This room holds the document schema and its loading; :mod:`dictionary_sql` turns it into one vectorized
DuckDB SELECT and lineage records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plantloop.dataplatform.governance.config_files import read_yaml, shipped_config, validate_config
from plantloop.dataplatform.governance.errors import GovernanceConfigError
from plantloop.dataplatform.governance.glossary import CANONICAL_NAME, Glossary, load_glossary
from plantloop.dataplatform.governance.units import linear_conversion

_TABLE = r"^[A-Za-z_][A-Za-z0-9_.]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    DATE = "date"


NUMERIC_TYPES = frozenset({FieldType.INTEGER, FieldType.FLOAT})


class OnUnmapped(StrEnum):
    """What a code without a mapping becomes: kept as is, NULL (and counted), or an error."""

    KEEP = "keep"
    NULL = "null"
    FAIL = "fail"


class UnitConversion(_Model):
    from_unit: str = Field(alias="from")
    to_unit: str = Field(alias="to")

    @model_validator(mode="after")
    def _known(self) -> Self:
        linear_conversion(self.from_unit, self.to_unit)  # raises ValueError with the reason
        return self


class CodeMap(_Model):
    """Source code → canonical value. Source codes are compared trimmed (and case-folded if asked)."""

    map: dict[str, str] = Field(min_length=1)
    on_unmapped: OnUnmapped = OnUnmapped.NULL
    case_insensitive: bool = False


class FieldSpec(_Model):
    source: str = Field(min_length=1, description="Column of the source table (or the JSON column).")
    target: str | None = Field(
        default=None, description="Canonical column; the glossary names it if left out."
    )
    json_path: str | None = Field(default=None, description="Read '$.path' inside the JSON column `source`.")
    type: FieldType = FieldType.STRING
    unit: UnitConversion | None = None
    codes: CodeMap | None = None
    local_time: bool = Field(default=False, description="Source time is local wall time: convert to UTC.")
    timezone: str | None = Field(default=None, description="Overrides the source's time zone for this field.")
    format: str | None = Field(default=None, description="strptime format for text timestamps/dates.")
    required: bool = False
    default: str | int | float | bool | None = None
    blank_as_null: bool = Field(
        default=True, description="A text value that is empty or only spaces means 'no value' (NULL)."
    )
    description: str = ""

    @field_validator("target")
    @classmethod
    def _snake(cls, value: str | None) -> str | None:
        if value is not None and not re.match(CANONICAL_NAME, value):
            raise ValueError(f"target {value!r} must be snake_case (units in the name: weight_kg)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_zone(value) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.unit is not None and self.type not in NUMERIC_TYPES:
            raise ValueError(f"unit conversion needs a numeric type, {self.source!r} is {self.type.value}")
        if (self.local_time or self.timezone) and self.type is not FieldType.TIMESTAMP:
            raise ValueError(f"local_time/timezone need type timestamp, {self.source!r} is {self.type.value}")
        if self.format and self.type not in (FieldType.TIMESTAMP, FieldType.DATE):
            raise ValueError(f"format is for timestamp/date fields, {self.source!r} is {self.type.value}")
        return self


class TableDictionary(_Model):
    """How one source table becomes one canonical table."""

    name: str = Field(pattern=_TABLE, description="The source's own table name, e.g. t_prod_report.")
    entity: str = Field(pattern=CANONICAL_NAME, description="Canonical entity, e.g. production_report.")
    source_table: str | None = Field(
        default=None, pattern=_TABLE, description="Default ods_<source>__<name>."
    )
    target_table: str | None = Field(
        default=None, pattern=_TABLE, description="Default stg_<source>__<entity>."
    )
    passthrough: list[str] = Field(default=[], description="Columns copied unchanged (lineage columns).")
    payload_column: str | None = Field(
        default=None,
        description="JSON column holding the source's row (ODS landing): fields not found "
        "as columns are read from it by name.",
    )
    fields: list[FieldSpec] = Field(min_length=1)


class SourceDictionary(_Model):
    """The whole dictionary of one source."""

    source: str = Field(pattern=CANONICAL_NAME)
    version: int = Field(default=1, ge=1)
    timezone: str = Field(default="UTC", description="Time zone of the source's local times.")
    description: str = ""
    tables: list[TableDictionary] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)

    def table(self, name: str) -> TableDictionary:
        for table in self.tables:
            if name in (table.name, table.entity, table.source_table, table.target_table):
                return table
        raise KeyError(f"dictionary {self.source!r} has no table {name!r}")

    def source_table_of(self, table: TableDictionary) -> str:
        return table.source_table or f"ods_{self.source}__{table.name.lower()}"

    def target_table_of(self, table: TableDictionary) -> str:
        return table.target_table or f"stg_{self.source}__{table.entity}"


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def resolve_targets(dictionary: SourceDictionary, glossary: Glossary, origin: Path | str) -> SourceDictionary:
    """Fill every missing ``target`` from the glossary and check the result; errors name the field path."""
    problems: list[tuple[str, str]] = []
    tables: list[TableDictionary] = []
    for t_index, table in enumerate(dictionary.tables):
        fields: list[FieldSpec] = []
        seen: dict[str, str] = {}
        for f_index, spec in enumerate(table.fields):
            path = f"tables.{t_index}.fields.{f_index}"
            target = spec.target
            term = glossary.canonical(spec.target or spec.source)
            if target is None:
                if term is None:
                    problems.append((path, f"no target for {spec.source!r} and no glossary term for it"))
                    continue
                target = term
            elif term is not None and term != target:
                problems.append(
                    (path, f"target {target!r} is a synonym of glossary term {term!r}: use {term!r}")
                )
            if target in seen:
                problems.append((path, f"target {target!r} also produced from {seen[target]!r}"))
            seen[target] = spec.source
            fields.append(spec.model_copy(update={"target": target}))
        for p_index, column in enumerate(table.passthrough):
            if column in seen:
                problems.append((f"tables.{t_index}.passthrough.{p_index}", f"{column!r} is also a target"))
        tables.append(table.model_copy(update={"fields": fields}))
    if problems:
        raise GovernanceConfigError(origin, problems)
    return dictionary.model_copy(update={"tables": tables})


def parse_dictionary(
    raw: Mapping[str, Any], glossary: Glossary | None = None, origin: Path | str = "<document>"
) -> SourceDictionary:
    """Validate a dictionary document and resolve its targets against the glossary."""
    dictionary = validate_config(SourceDictionary, dict(raw), origin)
    return resolve_targets(dictionary, glossary or load_glossary(), origin)


def load_dictionary(path: Path | str, glossary: Glossary | None = None) -> SourceDictionary:
    """Load one source's dictionary file; every problem is a GovernanceConfigError (file, path, reason)."""
    return parse_dictionary(read_yaml(path), glossary, path)


def load_shipped_dictionary(source: str, glossary: Glossary | None = None) -> SourceDictionary:
    """A dictionary shipped with the package: ``load_shipped_dictionary("legacy_mes")``."""
    return load_dictionary(shipped_config("dictionary", f"{source}.yaml"), glossary)
