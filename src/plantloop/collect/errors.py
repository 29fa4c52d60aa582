"""Errors of the collect context, and the closed vocabulary of quarantine reasons.

::

    PlantloopError
     └── CollectError                      base of this context
          ├── InvalidSourceInput (InvalidInput)   a request or file that is refused as a whole (API 4xx)
          │    └── PayloadTooLarge                  over the size limit (API 413)
          ├── IdempotencyKeyReused (Conflict)      same idempotency key, different body (API 409)
          ├── UnknownEntity (NotFound)             no data contract for that entity (API 404)
          ├── QuarantineRecordNotFound (NotFound)  no quarantined record with that id (API 404)
          ├── QuarantineRecordClosed (Conflict)    the record was released or discarded already (API 409)
          └── SourceUnavailable                    a broker / server / database cannot be reached: transient

Single bad records are never raised: they are quarantined with a :class:`QuarantineReason`.
"""

from __future__ import annotations

from enum import StrEnum

from plantloop.kernel.errors import Conflict, InvalidInput, NotFound, PlantloopError


class QuarantineReason(StrEnum):
    """Why a record did not land. Closed vocabulary; the message beside it says the detail."""

    BAD_ENCODING = "bad_encoding"
    MALFORMED = "malformed"
    BAD_TOPIC = "bad_topic"
    UNKNOWN_CONTRACT = "unknown_contract"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    BAD_TIMESTAMP = "bad_timestamp"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_EQUIPMENT = "unknown_equipment"
    OVERSIZED = "oversized"
    RAW_TRUNCATED = "raw_truncated"


class CollectError(PlantloopError):
    code = "collect_error"
    #: Whether retrying the same call later may succeed.
    transient: bool = False


class InvalidSourceInput(CollectError, InvalidInput):
    code = "invalid_source_input"


class PayloadTooLarge(InvalidSourceInput):
    code = "payload_too_large"
    #: HTTP status for ``api/errors.py`` (more precise than the 422 of its InvalidInput base).
    http_status = 413


class IdempotencyKeyReused(CollectError, Conflict):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was used before with a different body", key=key)
        self.key = key


class UnknownEntity(CollectError, NotFound):
    code = "unknown_entity"

    def __init__(self, kind: str, entity: str) -> None:
        super().__init__(f"no data contract for {kind} entity {entity!r}", kind=kind, entity=entity)
        self.kind = kind
        self.entity = entity


class QuarantineRecordNotFound(CollectError, NotFound):
    code = "quarantine_record_not_found"

    def __init__(self, quarantine_id: int) -> None:
        super().__init__(f"no quarantined record {quarantine_id}", quarantine_id=quarantine_id)
        self.quarantine_id = quarantine_id


class QuarantineRecordClosed(CollectError, Conflict):
    code = "quarantine_record_closed"

    def __init__(self, quarantine_id: int, status: str) -> None:
        super().__init__(
            f"quarantined record {quarantine_id} is {status}, not open",
            quarantine_id=quarantine_id,
            status=status,
        )
        self.quarantine_id = quarantine_id
        self.status = status


class SourceUnavailable(CollectError):
    code = "source_unavailable"
    transient = True
