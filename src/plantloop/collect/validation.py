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
from plantloop.kernel.clock import EARLIEST_YEAR, LATEST_YEAR

#: Default limit of one record's JSON payload.
MAX_PAYLOAD_BYTES = 64 * 1024


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class ValidationPolicy:
    """Limits and reference data. ``check_equipment`` off only for sources without equipment (files)."""

    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    check_equipment: bool = True
    #: Off only where the parser itself builds the payload from the contract (CSV / Excel rows).
    check_fields: bool = True
    #: Off where the parser wrote the payload itself from parsed JSON (it cannot be invalid then).
    check_json: bool = True
    earliest_year: int = EARLIEST_YEAR
    latest_year: int = LATEST_YEAR
    extra: tuple[RowCheck, ...] = field(default=())

    def checks(self, contracts: Iterable[Contract]) -> list[RowCheck]:
        contracts = list(contracts)
        out = [
            RowCheck("_eid IS NULL", R.MISSING_FIELD, "'no event id could be derived'"),
            RowCheck("type IS NULL OR length(type) = 0", R.MISSING_FIELD, "'event type missing'"),
            RowCheck("length(type) > 100", R.INVALID_VALUE, "'event type longer than 100 characters'"),
            RowCheck("occurred_at IS NULL", R.BAD_TIMESTAMP, "'occurred_at missing'"),
            RowCheck(
                f"occurred_at < TIMESTAMPTZ '{self.earliest_year}-01-01 00:00:00+00' "
                f"OR occurred_at >= TIMESTAMPTZ '{self.latest_year + 1}-01-01 00:00:00+00'",
                R.BAD_TIMESTAMP,
                "'occurred_at out of range: ' || CAST(occurred_at AS VARCHAR)",
            ),
            RowCheck("length(subject) > 200", R.INVALID_VALUE, "'subject longer than 200 characters'"),
            RowCheck("length(equipment_path) > 500", R.INVALID_VALUE, "'equipment path too long'"),
            RowCheck(
                f"strlen(payload) > {int(self.max_payload_bytes)}",
                R.OVERSIZED,
                f"'payload of ' || strlen(payload) || ' bytes exceeds {self.max_payload_bytes}'",
            ),
            *(
                [RowCheck("NOT json_valid(payload)", R.MALFORMED, "'payload is not valid JSON'")]
                if self.check_json
                else []
            ),
            # valid JSON that starts with '{' is an object: no second parse needed
            RowCheck("NOT starts_with(ltrim(payload), '{')", R.WRONG_TYPE, "'payload must be a JSON object'"),
        ]
        names = ", ".join(_lit(c.entity) for c in contracts) or "NULL"
        out.append(
            RowCheck(
                f"entity IS NULL OR entity NOT IN ({names})",
                R.UNKNOWN_CONTRACT,
                "'unknown entity ' || entity",
            )
        )
        for contract in contracts if self.check_fields else ():
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


def fields_expr(contracts: Iterable[Contract]) -> dict[str, str]:
    """Columns the store derives before the checks: ``_f``, every contract field of the payload parsed
    once (a struct of JSON values), so that a field check does not parse the payload again."""
    names = sorted({n for c in contracts for n in (*c.fields, *c.optional)})
    if not names:
        return {}
    spec = "{" + ", ".join(f'"{n}": "JSON"' for n in names) + "}"
    return {"_f": f"TRY(json_transform(payload, {_lit(spec)}))"}


def _field_checks(entity: str, name: str, kind: FieldKind, *, required: bool) -> list[RowCheck]:
    path = _lit(f'$."{name}"')
    on = f"entity = {_lit(entity)}"
    types = ", ".join(_lit(t) for t in JSON_TYPES[kind])
    found = f"coalesce(json_type(_f.\"{name}\"), 'NULL')"
    checks = []
    if required:
        checks.append(
            RowCheck(
                f"{on} AND {found} = 'NULL'",
                R.MISSING_FIELD,
                _lit(f"{entity}: field {name!r} missing"),
            )
        )
    checks.append(
        RowCheck(
            f"{on} AND {found} NOT IN ('NULL', {types})",
            R.WRONG_TYPE,
            _lit(f"{entity}: field {name!r} must be {kind.value}, got ")
            + f" || lower(json_type(payload, {path}))",
        )
    )
    return checks
