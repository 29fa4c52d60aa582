"""The canonical event envelope: how every fact travels, whatever its source.

Our own MES writes envelopes to its outbox; every connector in ``collect/`` parses what its source offers
into the same envelope. The id is deterministic (see :mod:`plantloop.kernel.ids`), so a fact offered twice
has one id and subscribers deduplicate by it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.ids import deterministic_id

#: An ISA-95 equipment path: enterprise/site/area/line/work_center[/equipment], '/'-separated.
EquipmentPath = str


class EventEnvelope(BaseModel):
    """One fact. ``type`` is past tense in PascalCase (``OperationCompleted``); ``payload`` is its body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Deterministic id derived from the source's own keys.")
    type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(description="When it happened on the shop floor (UTC).")
    recorded_at: datetime = Field(description="When the source recorded it (UTC).")
    source: str = Field(min_length=1, max_length=200, description="Source system id, e.g. 'mes', 'mqtt:uns'.")
    equipment_path: EquipmentPath | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, max_length=200, description="Main entity id (order, lot, …).")
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at", "recorded_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @classmethod
    def create(
        cls,
        *,
        type: str,
        source: str,
        key: tuple[object, ...],
        occurred_at: datetime,
        recorded_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
        equipment_path: str | None = None,
        subject: str | None = None,
        schema_version: int = 1,
    ) -> EventEnvelope:
        """Build an envelope whose id is derived from ``source``, ``type`` and the source's own ``key``."""
        return cls(
            id=deterministic_id(source, type, *key),
            type=type,
            schema_version=schema_version,
            occurred_at=occurred_at,
            recorded_at=recorded_at or occurred_at,
            source=source,
            equipment_path=equipment_path,
            subject=subject,
            payload=payload or {},
        )

    def payload_json(self) -> str:
        return json.dumps(self.payload, sort_keys=True, separators=(",", ":"), default=str)
