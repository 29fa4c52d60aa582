"""Validation policy: the row checks every batch passes before it lands, compiled to SQL predicates.

Checks, in order (the first that fails names the reason): envelope fields present and within limits,
payload size, entity known for the source kind, payload fields of the entity's contract present and of the
declared JSON type, equipment known in master data. Parsers reject earlier what they cannot read at all
(encoding, syntax, topic shape); everything else is decided here, over the whole batch at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from plantloop.collect.contracts import JSON_TYPES, Contract, FieldKind
from plantloop.collect.errors import QuarantineReason as R
from plantloop.dataplatform.ingest.store import RowCheck

#: Default limit of one record's JSON payload.
MAX_PAYLOAD_BYTES = 64 * 1024


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class ValidationPolicy:
    """Limits and reference data. ``check_equipment`` off only for sources without equipment (files)."""

    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    check_equipment: bool = True
    earliest_year: int = 1990
    latest_year: int = 2200
    extra: tuple[RowCheck, ...] = field(default=())

    def checks(self, contracts: Iterable[Contract]) -> list[RowCheck]:
        contracts = list(contracts)
        out = [
            RowCheck("_eid IS NULL", R.MISSING_FIELD, "'no event id could be derived'"),
            RowCheck("type IS NULL OR length(type) = 0", R.MISSING_FIELD, "'event type missing'"),
            RowCheck("length(type) > 100", R.INVALID_VALUE, "'event type longer than 100 characters'"),
            RowCheck("occurred_at IS NULL", R.BAD_TIMESTAMP, "'occurred_at missing'"),
            RowCheck(
                f"year(occurred_at) < {self.earliest_year} OR year(occurred_at) > {self.latest_year}",
                R.BAD_TIMESTAMP,
                "'occurred_at out of range: ' || CAST(occurred_at AS VARCHAR)",
            ),
            RowCheck("length(subject) > 200", R.INVALID_VALUE, "'subject longer than 200 characters'"),
            RowCheck("length(equipment_path) > 500", R.INVALID_VALUE, "'equipment path too long'"),
            RowCheck(
                f"octet_length(encode(payload)) > {int(self.max_payload_bytes)}",
                R.OVERSIZED,
                "'payload of ' || octet_length(encode(payload)) || "
                f"' bytes exceeds {self.max_payload_bytes}'",
            ),
            RowCheck("NOT json_valid(payload)", R.MALFORMED, "'payload is not valid JSON'"),
            RowCheck("json_type(payload) <> 'OBJECT'", R.WRONG_TYPE, "'payload must be a JSON object'"),
        ]
        names = ", ".join(_lit(c.entity) for c in contracts) or "NULL"
        out.append(
            RowCheck(
                f"entity IS NULL OR entity NOT IN ({names})",
                R.UNKNOWN_CONTRACT,
                "'unknown entity ' || entity",
            )
        )
        for contract in contracts:
            for name, kind in contract.fields.items():
                out.extend(_field_checks(contract.entity, name, kind, required=True))
            for name, kind in contract.optional.items():
                out.extend(_field_checks(contract.entity, name, kind, required=False))
        if self.check_equipment:
            out.append(
                RowCheck(
                    "equipment_path IS NOT NULL AND equipment_path NOT IN "
                    "(SELECT equipment_path FROM ingest_known_equipment)",
                    R.UNKNOWN_EQUIPMENT,
                    "'unknown equipment ' || equipment_path",
                )
            )
        out.extend(self.extra)
        return out


def _field_checks(entity: str, name: str, kind: FieldKind, *, required: bool) -> list[RowCheck]:
    path = _lit(f'$."{name}"')
    on = f"entity = {_lit(entity)}"
    types = ", ".join(_lit(t) for t in JSON_TYPES[kind])
    checks = []
    if required:
        checks.append(
            RowCheck(
                f"{on} AND coalesce(json_type(payload, {path}), 'NULL') = 'NULL'",
                R.MISSING_FIELD,
                _lit(f"{entity}: field {name!r} missing"),
            )
        )
    checks.append(
        RowCheck(
            f"{on} AND coalesce(json_type(payload, {path}), 'NULL') NOT IN ('NULL', {types})",
            R.WRONG_TYPE,
            _lit(f"{entity}: field {name!r} must be {kind.value}, got ")
            + f" || lower(json_type(payload, {path}))",
        )
    )
    return checks
