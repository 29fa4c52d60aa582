"""The shop-floor event copy: what the plant's own systems would publish for connectors.

Every shop-floor command the simulator sends to the MES is also written as a raw event dict (past-tense
``type``, the command's fields, ``occurred_at`` / ``sent_at`` ISO strings, a deterministic ``event_id``).
``dirty.py`` spoils a copy of this stream; the transports publish it over MQTT, OPC UA or a legacy DB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plantloop.kernel.ids import deterministic_id
from plantloop.mes.domain.commands import (
    Command,
    CompleteMaintenance,
    CompleteOperation,
    ConsumeMaterial,
    CreateMaintenanceOrder,
    EndDowntime,
    PauseOperation,
    ReceiveMaterialLot,
    RecordInspection,
    ResumeOperation,
    StartDowntime,
    StartMaintenance,
    StartOperation,
)

SOURCE = "sim:shopfloor"

#: Command type -> event type, for commands that a shop floor reports.
EVENT_TYPES: dict[type[Command], str] = {
    StartOperation: "OperationStarted",
    PauseOperation: "OperationPaused",
    ResumeOperation: "OperationResumed",
    CompleteOperation: "OperationCompleted",
    StartDowntime: "DowntimeStarted",
    EndDowntime: "DowntimeEnded",
    ConsumeMaterial: "MaterialConsumed",
    ReceiveMaterialLot: "MaterialLotReceived",
    RecordInspection: "InspectionRecorded",
    CreateMaintenanceOrder: "MaintenanceOrderCreated",
    StartMaintenance: "MaintenanceStarted",
    CompleteMaintenance: "MaintenanceCompleted",
}


def shop_floor_event(command: Command, seq: int, equipment_paths: dict[str, str]) -> dict[str, Any] | None:
    """The raw event for ``command`` (``None`` for commands a shop floor does not report)."""
    event_type = EVENT_TYPES.get(type(command))
    if event_type is None or command.at is None:
        return None
    body = command.model_dump(mode="json", exclude={"at", "issued_by"})
    occurred = command.at.isoformat()
    event: dict[str, Any] = {
        "event_id": deterministic_id(SOURCE, event_type, seq, occurred),
        "type": event_type,
        "seq": seq,
        "occurred_at": occurred,
        "sent_at": occurred,
        "source": SOURCE,
        **body,
    }
    equipment_id = body.get("equipment_id")
    if isinstance(equipment_id, str) and equipment_id in equipment_paths:
        event["equipment_path"] = equipment_paths[equipment_id]
    return event


def parse_at(value: str) -> datetime:
    return datetime.fromisoformat(value)
