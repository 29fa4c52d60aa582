"""Form definitions: load the declarative forms YAML, fill master-data choices, coerce submitted values.

Errors::

    InvalidInput
     ├── FormDefinitionError     a forms YAML that does not hold together (raised at load time)
     └── InvalidFormEntry        an entry with unknown, missing or malformed fields, or failing DQ checks
    NotFound
     └── FormNotFound            an unknown form id
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plantloop.kernel.clock import ensure_utc, plausible_time
from plantloop.kernel.errors import InvalidInput, NotFound
from plantloop.mes.masterdata.schema import MaterialKind, PlantDefinition
from plantloop.reports.definitions import Lang

DEFINITIONS = Path(__file__).resolve().parent / "definitions" / "forms.yaml"
TARGETS = frozenset({"record_inspection", "downtime_interval", "release_work_order"})
CHOICE_SOURCES = frozenset({"defect_codes", "downtime_reasons", "equipment", "products"})


class FormDefinitionError(InvalidInput):
    code = "form_definition_invalid"


class InvalidFormEntry(InvalidInput):
    code = "invalid_form_entry"


class FormNotFound(NotFound):
    code = "form_not_found"


class FieldType(StrEnum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    CHOICE = "choice"
    DATETIME = "datetime"


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType
    label_en: str
    label_zh: str
    required: bool = False
    default: Any = None
    choices: list[str] | None = None
    choices_from: str | None = None
    lookup: str | None = None
    max_length: int = Field(default=500, ge=1)

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang is Lang.ZH else self.label_en


class FormDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_en: str
    title_zh: str
    description_en: str = ""
    description_zh: str = ""
    permission: str
    target: str
    fields: list[FormField]
    checks: list[dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> FormDefinition:
        if self.target not in TARGETS:
            raise ValueError(f"form {self.id}: unknown target {self.target!r}; known: {sorted(TARGETS)}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"form {self.id}: duplicate field names")
        for f in self.fields:
            if f.choices_from is not None and f.choices_from not in CHOICE_SOURCES:
                raise ValueError(f"form {self.id}.{f.name}: unknown choices_from {f.choices_from!r}")
            if f.type is FieldType.CHOICE and f.choices is None and f.choices_from is None:
                raise ValueError(f"form {self.id}.{f.name}: a choice field needs choices or choices_from")
        for check in self.checks:
            source = check.get("values_from")
            if source is not None and source not in CHOICE_SOURCES:
                raise ValueError(f"form {self.id}: check {check.get('name')}: unknown values_from {source!r}")
        return self

    def title(self, lang: Lang) -> str:
        return self.title_zh if lang is Lang.ZH else self.title_en

    def description(self, lang: Lang) -> str:
        return self.description_zh if lang is Lang.ZH else self.description_en

    def field(self, name: str) -> FormField:
        for f in self.fields:
            if f.name == name:
                return f
        raise InvalidFormEntry(f"form {self.id!r} has no field {name!r}", form_id=self.id, field=name)


class FormCatalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    forms: list[FormDefinition]

    def get(self, form_id: str) -> FormDefinition:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise FormNotFound(f"no form {form_id!r}", form_id=form_id)


def load_forms(path: Path | None = None) -> FormCatalog:
    path = path or DEFINITIONS
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return FormCatalog.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise FormDefinitionError(f"{path}: {exc}", path=str(path)) from None


def master_values(plant: PlantDefinition, source: str) -> list[str]:
    """Allowed values from master data for ``choices_from`` / ``values_from``."""
    if source == "defect_codes":
        return [d.code for d in plant.defect_codes]
    if source == "downtime_reasons":
        return [r.code for r in plant.downtime_reasons]
    if source == "equipment":
        return list(plant.equipment)
    if source == "products":  # what an order may be placed for: products with a routing
        return [
            m.id
            for m in plant.materials_by_id.values()
            if m.kind is MaterialKind.PRODUCT and m.id in plant.routings_by_material
        ]
    raise FormDefinitionError(f"unknown master-data source {source!r}")


def choices(form: FormDefinition, f: FormField, plant: PlantDefinition) -> list[str]:
    if f.choices is not None:
        return list(f.choices)
    return master_values(plant, f.choices_from) if f.choices_from else []


def coerce_entry(form: FormDefinition, raw: Mapping[str, Any], plant: PlantDefinition) -> dict[str, Any]:
    """Every field typed (defaults applied); unknown or malformed fields are :class:`InvalidFormEntry`."""
    unknown = sorted(set(raw) - {f.name for f in form.fields})
    if unknown:
        raise InvalidFormEntry(f"unknown field(s) {', '.join(unknown)}", form_id=form.id, fields=unknown)
    out: dict[str, Any] = {}
    problems: list[str] = []
    for f in form.fields:
        value = raw.get(f.name)
        if value is None or value == "":
            value = f.default
        if value is None:
            if f.required:
                problems.append(f"{f.name}: required")
            out[f.name] = None
            continue
        try:
            out[f.name] = _coerce(f, value)
        except (TypeError, ValueError) as exc:
            problems.append(f"{f.name}: {exc}")
            continue
        if f.type is FieldType.CHOICE and out[f.name] not in choices(form, f, plant):
            problems.append(f"{f.name}: {out[f.name]!r} is not an allowed value")
    if problems:
        raise InvalidFormEntry("; ".join(problems), form_id=form.id, problems=problems)
    return out


def _coerce(f: FormField, value: Any) -> Any:
    if f.type in (FieldType.STRING, FieldType.CHOICE):
        text = str(value).strip()
        if len(text) > f.max_length:
            raise ValueError(f"longer than {f.max_length} characters")
        return text
    if f.type is FieldType.INT:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError("expected a whole number")
        return int(value)
    if f.type is FieldType.FLOAT:
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return number
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return ensure_utc(plausible_time(when))  # year 9999 is a typo the MES would refuse anyway
