"""Feeding the quality ledger: MES events (outbox, ODS rows) and MES commands (the twin's shop floor).

- :func:`apply_event` folds one MES event (its ``type``, JSON ``payload`` and ``occurred_at``) — what the
  outbox relay delivers and what ``ods_mes__events`` holds. Unknown types are ignored.
- :class:`OutboxFollower` keeps a ledger current from an :class:`~plantloop.kernel.ports.OutboxReader`,
  remembering the last sequence number it applied (so redelivery after a restart is harmless).
- :func:`apply_command` folds one MES command as the shop floor sends it (the simulator's reports); it is
  what a quality watcher sees when it sits beside the MES gateway instead of behind the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ports import OutboxReader
from plantloop.mes.domain import commands as c
from plantloop.optimize.quality.ledger import QualityLedger

#: Event types the ledger understands.
EVENT_TYPES = frozenset(
    {
        "MaterialLotReceived",
        "WorkOrderCreated",
        "LotCreated",
        "OperationStarted",
        "OperationCompleted",
        "MaterialConsumed",
        "InspectionRecorded",
        "LotHeld",
        "LotReleased",
    }
)


def _dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    return ensure_utc(datetime.fromisoformat(str(value)))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def apply_event(ledger: QualityLedger, type: str, payload: Mapping[str, Any], occurred_at: datetime) -> bool:
    """Fold one MES event into ``ledger``; returns whether the type was one the ledger uses."""
    p = payload
    at = ensure_utc(occurred_at)
    if type == "MaterialLotReceived":
        ledger.receive_lot(p["lot_id"], p["material_id"], p.get("supplier_id"), at, p.get("supplier_lot_ref"))
    elif type == "WorkOrderCreated":
        ledger.create_work_order(
            p["work_order_id"],
            p.get("material_id"),
            qty=_int(p.get("qty")),
            parent_work_order_id=p.get("parent_work_order_id"),
            sales_order_id=p.get("sales_order_id"),
            customer=p.get("customer"),
            due_at=_dt(p.get("due_at")),
        )
    elif type == "LotCreated":
        ledger.create_work_order(p["work_order_id"], p.get("material_id"))
    elif type == "OperationStarted":
        ledger.start_operation(
            p["operation_id"],
            p.get("equipment_id"),
            at,
            operator_id=p.get("operator_id"),
            work_order_id=p.get("work_order_id"),
            material_id=p.get("material_id"),
            seq=_int(p.get("seq")),
            work_center_id=p.get("work_center_id"),
        )
    elif type == "OperationCompleted":
        ledger.complete_operation(
            p["operation_id"],
            at,
            int(p.get("qty_good", 0)),
            int(p.get("qty_scrap", 0)),
            scrap_defect_code=p.get("scrap_defect_code"),
            parameters=p.get("parameters") or {},
            equipment_id=p.get("equipment_id"),
            operator_id=p.get("operator_id"),
            started_at=_dt(p.get("started_at")),
            work_order_id=p.get("work_order_id"),
            material_id=p.get("material_id"),
            seq=_int(p.get("seq")),
            work_center_id=p.get("work_center_id"),
        )
    elif type == "MaterialConsumed":
        ledger.consume(
            p["operation_id"],
            p["lot_id"],
            float(p["qty"]),
            at,
            produced_lot=p.get("produced_lot_id"),
            material_id=p.get("material_id"),
        )
    elif type == "InspectionRecorded":
        ledger.record_inspection(
            p["inspection_id"],
            p["operation_id"],
            at,
            passed=str(p.get("result", "pass")).lower() == "pass",
            qty_inspected=int(p.get("qty_inspected", 0)),
            qty_defective=int(p.get("qty_defective", 0)),
            defect_code=p.get("defect_code"),
            measurements=p.get("measurements") or {},
            equipment_id=p.get("equipment_id"),
        )
    elif type == "LotHeld":
        ledger.set_hold(p["lot_id"], True)
    elif type == "LotReleased":
        ledger.set_hold(p["lot_id"], False)
    else:
        return False
    return True


def apply_envelope(ledger: QualityLedger, envelope: EventEnvelope) -> bool:
    return apply_event(ledger, envelope.type, envelope.payload, envelope.occurred_at)


class OutboxFollower:
    """Keeps a ledger current from an outbox reader; ``poll()`` applies everything new."""

    def __init__(self, ledger: QualityLedger, reader: OutboxReader, batch: int = 5000) -> None:
        self.ledger = ledger
        self.reader = reader
        self.batch = batch
        self.last_seq = 0

    def poll(self) -> int:
        """Apply every event after the last one seen; returns how many the ledger used."""
        used = 0
        while True:
            records = self.reader.fetch_after(self.last_seq, self.batch)
            if not records:
                return used
            for record in records:
                used += apply_envelope(self.ledger, record.envelope)
                self.last_seq = record.seq


def apply_command(ledger: QualityLedger, command: c.Command, at: datetime) -> bool:
    """Fold one MES command as the shop floor sent it; ``at`` stands in for an unset ``command.at``."""
    when = ensure_utc(command.at or at)
    if isinstance(command, c.ReceiveMaterialLot):
        ledger.receive_lot(
            command.lot_id, command.material_id, command.supplier_id, when, command.supplier_lot_ref
        )
    elif isinstance(command, c.CreateWorkOrder):
        ledger.create_work_order(
            command.work_order_id,
            command.material_id,
            qty=command.qty,
            parent_work_order_id=command.parent_work_order_id,
            sales_order_id=command.sales_order_id,
            customer=command.customer,
            due_at=command.due_at,
        )
    elif isinstance(command, c.StartOperation):
        ledger.start_operation(
            command.operation_id, command.equipment_id, when, operator_id=command.operator_id
        )
    elif isinstance(command, c.CompleteOperation):
        ledger.complete_operation(
            command.operation_id,
            when,
            command.qty_good,
            command.qty_scrap,
            scrap_defect_code=command.scrap_defect_code,
            parameters=command.parameters,
        )
    elif isinstance(command, c.ConsumeMaterial):
        ledger.consume(command.operation_id, command.lot_id, command.qty, when)
    elif isinstance(command, c.RecordInspection):
        ledger.record_inspection(
            command.inspection_id,
            command.operation_id,
            when,
            passed=command.result is c.InspectionResult.PASS,
            qty_inspected=command.qty_inspected,
            qty_defective=command.qty_defective,
            defect_code=command.defect_code,
            measurements=command.measurements,
        )
    elif isinstance(command, c.HoldLot):
        ledger.set_hold(command.lot_id, True)
    elif isinstance(command, c.ReleaseLot):
        ledger.set_hold(command.lot_id, False)
    else:
        return False
    return True
