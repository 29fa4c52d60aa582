"""Report definitions: load the declarative report YAML, validate it, and bind request parameters.

A report is data (see ``definitions/reports.yaml``): an id, titles and column labels in English and
Simplified Chinese, SQL over ADS tables written with ``{{table}}`` placeholders and ``$name`` parameters,
typed parameters (defaults, fixed allowed values or a lookup query), and the columns with formats and
units. Nothing here touches a database; :mod:`plantloop.reports.query` runs what this module describes.

Errors::

    InvalidInput
     ├── ReportDefinitionError     a report YAML that does not hold together (raised at load time)
     └── InvalidReportParameter    an unknown, missing or malformed request parameter (API: 422)
    NotFound
     └── ReportNotFound            an unknown report id (API: 404)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.errors import InvalidInput, NotFound

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TABLE_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
PARAM_REF = re.compile(r"(?<![A-Za-z0-9_$])\$([A-Za-z_][A-Za-z0-9_]*)")
_RELATIVE_DAY = re.compile(r"^today(?:([+-])(\d+)d)?$")
#: Names the runner binds itself or the API uses for itself; a report may not declare them.
RESERVED_PARAMS = frozenset({"scope_lines", "page_limit", "page_offset", "lang", "format", "offset", "limit"})


class ReportDefinitionError(InvalidInput):
    code = "report_definition_invalid"


class InvalidReportParameter(InvalidInput):
    code = "invalid_report_parameter"


class ReportNotFound(NotFound):
    code = "report_not_found"


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


class ParamType(StrEnum):
    DATE = "date"
    DATETIME = "datetime"
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"


class ColumnFormat(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"


class ParameterSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: ParamType
    label_en: str
    label_zh: str
    required: bool = False
    default: Any = None
    allowed: list[Any] | None = None
    lookup: str | None = Field(default=None, description="One-column query of allowed values.")
    max_length: int = Field(default=200, ge=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _IDENT.match(value) or value in RESERVED_PARAMS:
            raise ValueError(f"parameter name {value!r} is not an identifier or is reserved")
        return value

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang is Lang.ZH else self.label_en


class ColumnSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label_en: str
    label_zh: str
    format: ColumnFormat = ColumnFormat.TEXT
    decimals: int = Field(default=0, ge=0, le=6)
    unit: str | None = None

    def label(self, lang: Lang) -> str:
        text = self.label_zh if lang is Lang.ZH else self.label_en
        return f"{text} ({self.unit})" if self.unit else text


class ReportDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title_en: str
    title_zh: str
    description_en: str = ""
    description_zh: str = ""
    sql: str
    scope_column: str | None = Field(default=None, description="Line id column the row scope filters.")
    parameters: list[ParameterSpec] = Field(default_factory=list)
    columns: list[ColumnSpec]

    @field_validator("parameters", mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        # YAML aliases of shared parameter sets arrive as nested lists.
        if isinstance(value, list):
            flat: list[Any] = []
            for item in value:
                flat.extend(item if isinstance(item, list) else [item])
            return flat
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReportDefinition:
        if not _IDENT.match(self.id):
            raise ValueError(f"report id {self.id!r} is not an identifier")
        if self.scope_column is not None and not _IDENT.match(self.scope_column):
            raise ValueError(f"scope_column {self.scope_column!r} is not an identifier")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"report {self.id}: duplicate parameter names")
        used = set(PARAM_REF.findall(self.sql))
        if used - set(names):
            raise ValueError(f"report {self.id}: SQL uses undeclared parameters {sorted(used - set(names))}")
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"report {self.id}: duplicate column keys")
        return self

    def title(self, lang: Lang) -> str:
        return self.title_zh if lang is Lang.ZH else self.title_en

    def description(self, lang: Lang) -> str:
        return self.description_zh if lang is Lang.ZH else self.description_en

    def parameter(self, name: str) -> ParameterSpec:
        for spec in self.parameters:
            if spec.name == name:
                return spec
        raise InvalidReportParameter(f"report {self.id!r} has no parameter {name!r}", parameter=name)


class ReportCatalog(BaseModel):
    """Every report, and the logical → physical ADS table names their SQL refers to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tables: dict[str, str]
    reports: list[ReportDefinition]

    @model_validator(mode="after")
    def _tables_known(self) -> ReportCatalog:
        for logical, physical in self.tables.items():
            if not _IDENT.match(logical) or not all(_IDENT.match(part) for part in physical.split(".")):
                raise ValueError(f"table mapping {logical!r}: {physical!r} is not an identifier")
        ids = [r.id for r in self.reports]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate report ids")
        for report in self.reports:
            texts = [report.sql] + [p.lookup for p in report.parameters if p.lookup]
            for text in texts:
                unknown = set(TABLE_PLACEHOLDER.findall(text)) - set(self.tables)
                if unknown:
                    raise ValueError(f"report {report.id}: unknown tables {sorted(unknown)}")
        return self

    def get(self, report_id: str) -> ReportDefinition:
        for report in self.reports:
            if report.id == report_id:
                return report
        raise ReportNotFound(f"no report {report_id!r}", report_id=report_id)


def load_catalog(path: Path | None = None) -> ReportCatalog:
    """Load and validate a report YAML (default: the shipped ``definitions/reports.yaml``)."""
    path = path or DEFINITIONS_DIR / "reports.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReportDefinitionError(f"cannot read {path}: {exc}", path=str(path)) from None
    if not isinstance(raw, dict):
        raise ReportDefinitionError(f"{path}: expected a mapping", path=str(path))
    raw.pop("parameter_sets", None)  # anchors only
    try:
        return ReportCatalog.model_validate(raw)
    except ValidationError as exc:
        raise ReportDefinitionError(f"{path}: {exc}", path=str(path)) from None


def bind_parameters(
    report: ReportDefinition, raw: Mapping[str, Any], *, today: date | None = None
) -> dict[str, Any]:
    """Every declared parameter coerced to its type (defaults applied, missing optional ones ``None``).

    Unknown names, values of the wrong type and values outside a fixed ``allowed`` list raise
    :class:`InvalidReportParameter`. Lookup lists need a database and are checked by the runner.
    """
    today = today or datetime.now().astimezone().date()
    declared = {p.name for p in report.parameters}
    unknown = sorted(set(raw) - declared)
    if unknown:
        raise InvalidReportParameter(
            f"report {report.id!r} has no parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(declared)) or 'none'}",
            report_id=report.id,
            parameters=unknown,
        )
    bound: dict[str, Any] = {}
    for spec in report.parameters:
        value = raw.get(spec.name)
        if value is None or value == "":
            value = spec.default
            if value is None and spec.required:
                raise InvalidReportParameter(
                    f"parameter {spec.name!r} is required", report_id=report.id, parameter=spec.name
                )
        bound[spec.name] = None if value is None else coerce(spec, value, today)
        if bound[spec.name] is not None and spec.allowed is not None:
            allowed = [coerce(spec, a, today) for a in spec.allowed]
            if bound[spec.name] not in allowed:
                raise InvalidReportParameter(
                    f"parameter {spec.name!r}: {value!r} is not one of {allowed}",
                    report_id=report.id,
                    parameter=spec.name,
                )
    return bound


def coerce(spec: ParameterSpec, value: Any, today: date) -> Any:
    """``value`` (as given in YAML, JSON or a query string) converted to ``spec.type``."""
    try:
        return _coerce(spec, value, today)
    except (ValueError, TypeError) as exc:
        raise InvalidReportParameter(
            f"parameter {spec.name!r}: {value!r} is not a valid {spec.type.value} ({exc})",
            parameter=spec.name,
        ) from None


def _coerce(spec: ParameterSpec, value: Any, today: date) -> Any:
    kind = spec.type
    if kind is ParamType.STRING:
        if not isinstance(value, str | int):
            raise TypeError("expected text")
        text = str(value)
        if len(text) > spec.max_length:
            raise ValueError(f"longer than {spec.max_length} characters")
        return text
    if kind is ParamType.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "yes", "on"}:
            return True
        if text in {"false", "0", "no", "off"}:
            return False
        raise ValueError("expected true or false")
    if kind is ParamType.INT:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError("expected an integer")
        return int(value)
    if kind is ParamType.FLOAT:
        if isinstance(value, bool):
            raise TypeError("expected a number")
        number = float(value)
        if number != number or number in {float("inf"), float("-inf")}:
            raise ValueError("expected a finite number")
        return number
    if kind is ParamType.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        match = _RELATIVE_DAY.match(text)
        if match:
            sign, days = match.groups()
            offset = int(days or 0) * (-1 if sign == "-" else 1)
            return today + timedelta(days=offset)
        return date.fromisoformat(text)
    if isinstance(value, datetime):
        return ensure_utc(value)
    return ensure_utc(datetime.fromisoformat(str(value).strip()))
