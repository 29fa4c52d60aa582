"""Data contracts: which entities each kind of source may deliver, and which payload fields each must carry.

A contract is a closed list of ``field -> kind``. It is used twice: parsers of untyped sources (CSV, Excel)
convert cell text to the declared kind, and the landing compiles every contract to one vectorised SQL
check over the JSON payload (see :mod:`plantloop.collect.validation`). Entity names also name the ODS
tables (``ods_<kind>__<entity>``), so only names from this registry ever reach SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from plantloop.collect.errors import UnknownEntity


class FieldKind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    STRING = "string"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # an ISO-8601 string in the payload
    ANY = "any"


class SourceKind(StrEnum):
    """The kind of a source; it names the ODS table prefix. A source *id* (``mqtt:plant1``) has one kind."""

    MES = "mes"
    MQTT = "mqtt"
    OPCUA = "opcua"
    LEGACY = "legacy"
    REST = "rest"
    FILES = "files"


#: JSON types (DuckDB ``json_type``) that satisfy each field kind.
JSON_TYPES: dict[FieldKind, tuple[str, ...]] = {
    FieldKind.NUMBER: ("DOUBLE", "BIGINT", "UBIGINT"),
    FieldKind.INTEGER: ("BIGINT", "UBIGINT"),
    FieldKind.STRING: ("VARCHAR",),
    FieldKind.BOOLEAN: ("BOOLEAN",),
    FieldKind.TIMESTAMP: ("VARCHAR",),
    FieldKind.ANY: ("DOUBLE", "BIGINT", "UBIGINT", "VARCHAR", "BOOLEAN", "OBJECT", "ARRAY"),
}

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Contract:
    """What one entity's payload must hold. ``event_type`` is the envelope type for tabular sources."""

    entity: str
    fields: dict[str, FieldKind] = field(default_factory=dict)
    optional: dict[str, FieldKind] = field(default_factory=dict)
    event_type: str | None = None
    key_fields: tuple[str, ...] = ()
    time_field: str | None = None
    #: Whether the event id is derived from keys that include the fact's own time (then a duplicate is
    #: looked up only within the batch's time range); False for ids from a client's or a table's key.
    id_includes_time: bool = True

    def __post_init__(self) -> None:
        if not _NAME.match(self.entity):
            raise ValueError(f"entity name {self.entity!r} must match {_NAME.pattern}")
        for name in (*self.fields, *self.optional):
            if not _NAME.match(name) and not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", name):
                raise ValueError(f"field name {name!r} is not an identifier")


#: The registry. Legacy tables are open (their raw rows land as they are); everything else is closed.
CONTRACTS: dict[SourceKind, dict[str, Contract]] = {
    SourceKind.MES: {"events": Contract("events")},
    SourceKind.MQTT: {
        "telemetry": Contract("telemetry", {"tag": FieldKind.STRING, "value": FieldKind.NUMBER}),
        "state": Contract("state", {"tag": FieldKind.STRING, "value": FieldKind.STRING}),
        "event": Contract("event"),
    },
    SourceKind.OPCUA: {"telemetry": Contract("telemetry", {"tag": FieldKind.STRING, "value": FieldKind.ANY})},
    SourceKind.REST: {"events": Contract("events")},
    SourceKind.FILES: {
        "erp_orders": Contract(
            "erp_orders",
            {
                "order_no": FieldKind.STRING,
                "material_id": FieldKind.STRING,
                "qty": FieldKind.INTEGER,
                "due_at": FieldKind.TIMESTAMP,
            },
            optional={"priority": FieldKind.INTEGER, "customer": FieldKind.STRING},
            event_type="ErpOrderReceived",
            key_fields=("order_no",),
            time_field="due_at",
        ),
        "qms_results": Contract(
            "qms_results",
            {
                "result_id": FieldKind.STRING,
                "lot_id": FieldKind.STRING,
                "characteristic": FieldKind.STRING,
                "value": FieldKind.NUMBER,
                "measured_at": FieldKind.TIMESTAMP,
            },
            optional={"equipment_id": FieldKind.STRING, "passed": FieldKind.BOOLEAN},
            event_type="QualityResultRecorded",
            key_fields=("result_id",),
            time_field="measured_at",
        ),
        "supplier_lots": Contract(
            "supplier_lots",
            {
                "lot_no": FieldKind.STRING,
                "supplier_id": FieldKind.STRING,
                "material_id": FieldKind.STRING,
                "qty": FieldKind.NUMBER,
                "received_at": FieldKind.TIMESTAMP,
            },
            event_type="SupplierLotReceived",
            key_fields=("lot_no",),
            time_field="received_at",
        ),
    },
    SourceKind.LEGACY: {},
}


def contract_for(kind: SourceKind, entity: str) -> Contract:
    """The contract of ``entity``; legacy tables get an open contract named after the table."""
    if kind is SourceKind.LEGACY:
        name = entity.lower()
        if not _NAME.match(name):
            raise UnknownEntity(kind.value, entity)
        return Contract(name, id_includes_time=False)
    try:
        return CONTRACTS[kind][entity]
    except KeyError:
        raise UnknownEntity(kind.value, entity) from None


def table_name(kind: SourceKind, entity: str) -> str:
    """``ods_<kind>__<entity>``; ``entity`` must have passed :func:`contract_for`."""
    if not _NAME.match(entity):
        raise UnknownEntity(kind.value, entity)
    return f"ods_{kind.value}__{entity}"
