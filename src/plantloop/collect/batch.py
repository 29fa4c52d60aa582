"""CandidateBatch: what a parser offers the landing — one row per offered record, built column by column.

Parsers append plain values (no per-record model objects on the hot path); :meth:`to_arrow` hands the
columns to the ODS store in one Arrow table. A record a parser cannot read is still a row: it carries its
raw bytes and a reject reason, so it is quarantined and counted, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from plantloop.collect.errors import QuarantineReason
from plantloop.dataplatform.ingest.schema import LANDING_SCHEMA

#: Raw bytes kept in the quarantine per record; more is cut (and flagged ``raw_truncated``).
RAW_LIMIT_BYTES = 64 * 1024


@dataclass
class CandidateBatch:
    """Columns of a batch. ``parser`` names the function that can re-read a quarantined record."""

    parser: str
    row_no: list[int] = field(default_factory=list)
    event_id: list[str | None] = field(default_factory=list)
    entity: list[str | None] = field(default_factory=list)
    type: list[str | None] = field(default_factory=list)
    schema_version: list[int] = field(default_factory=list)
    occurred_at: list[datetime | None] = field(default_factory=list)
    recorded_at: list[datetime | None] = field(default_factory=list)
    equipment_path: list[str | None] = field(default_factory=list)
    subject: list[str | None] = field(default_factory=list)
    payload: list[str | None] = field(default_factory=list)
    source_key: list[str | None] = field(default_factory=list)
    raw: list[bytes | None] = field(default_factory=list)
    raw_truncated: list[bool] = field(default_factory=list)
    reject_reason: list[str | None] = field(default_factory=list)
    reject_message: list[str | None] = field(default_factory=list)
    quarantine_id: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.row_no)

    def add(
        self,
        *,
        event_id: str,
        entity: str,
        type: str,
        occurred_at: datetime,
        recorded_at: datetime | None,
        payload_json: str,
        source_key: str | None,
        raw: bytes | None = None,
        equipment_path: str | None = None,
        subject: str | None = None,
        schema_version: int = 1,
        quarantine_id: int | None = None,
    ) -> None:
        self._common(source_key, raw, quarantine_id)
        self.event_id.append(event_id)
        self.entity.append(entity)
        self.type.append(type)
        self.schema_version.append(schema_version)
        self.occurred_at.append(occurred_at)
        self.recorded_at.append(recorded_at)
        self.equipment_path.append(equipment_path)
        self.subject.append(subject)
        self.payload.append(payload_json)
        self.reject_reason.append(None)
        self.reject_message.append(None)

    def reject(
        self,
        reason: QuarantineReason,
        message: str,
        *,
        source_key: str | None,
        raw: bytes | None,
        entity: str | None = None,
        quarantine_id: int | None = None,
    ) -> None:
        self._common(source_key, raw, quarantine_id)
        self.event_id.append(None)
        self.entity.append(entity)
        self.type.append(None)
        self.schema_version.append(1)
        self.occurred_at.append(None)
        self.recorded_at.append(None)
        self.equipment_path.append(None)
        self.subject.append(None)
        self.payload.append(None)
        self.reject_reason.append(reason.value)
        self.reject_message.append(message[:1000])

    def _common(self, source_key: str | None, raw: bytes | None, quarantine_id: int | None) -> None:
        self.row_no.append(len(self.row_no))
        self.source_key.append(source_key[:1000] if source_key is not None else None)
        if raw is not None and len(raw) > RAW_LIMIT_BYTES:
            self.raw.append(raw[:RAW_LIMIT_BYTES])
            self.raw_truncated.append(True)
        else:
            self.raw.append(raw)
            self.raw_truncated.append(False)
        self.quarantine_id.append(quarantine_id)

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pydict(
            {name: getattr(self, name) for name in LANDING_SCHEMA.names}, schema=LANDING_SCHEMA
        )
