"""MES domain errors. Each carries the ids it is about; each also derives from a kernel error so the API
maps it to an HTTP status in one place (``api/errors.py``)::

    PlantloopError
     └── MesError
          ├── (NotFound)      UnknownWorkOrder, UnknownOperation, UnknownLot, UnknownEquipment,
          │                   UnknownMaintenanceOrder, UnknownWorkCenter                      → 404
          ├── (InvalidInput)  UnknownMaterial, NoRouting, UnknownReasonCode, InvalidQuantity,
          │                   WrongWorkCenter                                                  → 422
          └── (Conflict)      AlreadyExists, InvalidTransition, EquipmentBusy, OperationNotReady,
                              LotOnHold, InsufficientLotQty, StaleScheduleVersion,
                              ConcurrentModification                                            → 409
"""

from __future__ import annotations

from typing import Any

from plantloop.kernel.errors import Conflict, InvalidInput, NotFound, PlantloopError


class MesError(PlantloopError):
    code = "mes_error"


# ---- 404 -------------------------------------------------------------------------------------------
class _Unknown(MesError, NotFound):
    kind = "entity"

    def __init__(self, entity_id: str) -> None:
        super().__init__(f"unknown {self.kind} {entity_id!r}", id=entity_id)
        self.entity_id = entity_id


class UnknownWorkOrder(_Unknown):
    code, kind = "unknown_work_order", "work order"


class UnknownOperation(_Unknown):
    code, kind = "unknown_operation", "operation"


class UnknownLot(_Unknown):
    code, kind = "unknown_lot", "lot"


class UnknownEquipment(_Unknown):
    code, kind = "unknown_equipment", "equipment"


class UnknownWorkCenter(_Unknown):
    code, kind = "unknown_work_center", "work center"


class UnknownMaintenanceOrder(_Unknown):
    code, kind = "unknown_maintenance_order", "maintenance order"


# ---- 422 -------------------------------------------------------------------------------------------
class MesInvalidInput(MesError, InvalidInput):
    code = "mes_invalid_input"


class UnknownMaterial(MesInvalidInput):
    code = "unknown_material"

    def __init__(self, material_id: str) -> None:
        super().__init__(f"unknown material {material_id!r}", material_id=material_id)
        self.material_id = material_id


class NoRouting(MesInvalidInput):
    code = "no_routing"

    def __init__(self, material_id: str) -> None:
        super().__init__(
            f"material {material_id!r} has no routing: it cannot be produced", material_id=material_id
        )
        self.material_id = material_id


class UnknownReasonCode(MesInvalidInput):
    code = "unknown_reason_code"

    def __init__(self, reason_code: str, kind: str = "downtime") -> None:
        super().__init__(f"unknown {kind} reason code {reason_code!r}", reason_code=reason_code)
        self.reason_code = reason_code


class InvalidQuantity(MesInvalidInput):
    code = "invalid_quantity"

    def __init__(self, message: str, **ids: Any) -> None:
        super().__init__(message, **ids)


class WrongWorkCenter(MesInvalidInput):
    code = "wrong_work_center"

    def __init__(self, operation_id: str, work_center_id: str, allowed: list[str]) -> None:
        super().__init__(
            f"operation {operation_id!r} cannot run at work center {work_center_id!r} (allowed: {allowed})",
            operation_id=operation_id,
            work_center_id=work_center_id,
            allowed=allowed,
        )
        self.operation_id = operation_id
        self.work_center_id = work_center_id


# ---- 409 -------------------------------------------------------------------------------------------
class MesConflict(MesError, Conflict):
    code = "mes_conflict"


class AlreadyExists(MesConflict):
    code = "already_exists"

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(f"{kind} {entity_id!r} already exists", id=entity_id, kind=kind)
        self.entity_id = entity_id


class InvalidTransition(MesConflict):
    """``entity`` cannot go from ``from_state`` to ``to_state`` (or do ``action``) now."""

    code = "invalid_transition"

    def __init__(self, kind: str, entity_id: str, from_state: str, action: str) -> None:
        super().__init__(
            f"{kind} {entity_id!r} is {from_state}: cannot {action}",
            id=entity_id,
            kind=kind,
            state=from_state,
            action=action,
        )
        self.entity_id = entity_id
        self.from_state = from_state
        self.action = action


class EquipmentBusy(MesConflict):
    code = "equipment_busy"

    def __init__(self, equipment_id: str, operation_id: str) -> None:
        super().__init__(
            f"equipment {equipment_id!r} is running operation {operation_id!r}",
            equipment_id=equipment_id,
            operation_id=operation_id,
        )
        self.equipment_id = equipment_id
        self.operation_id = operation_id


class OperationNotReady(MesConflict):
    code = "operation_not_ready"

    def __init__(self, operation_id: str, reason: str) -> None:
        super().__init__(f"operation {operation_id!r} cannot start: {reason}", operation_id=operation_id)
        self.operation_id = operation_id


class LotOnHold(MesConflict):
    code = "lot_on_hold"

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"lot {lot_id!r} is on hold and cannot be consumed", lot_id=lot_id)
        self.lot_id = lot_id


class InsufficientLotQty(MesConflict):
    code = "insufficient_lot_qty"

    def __init__(self, lot_id: str, available: float, requested: float) -> None:
        super().__init__(
            f"lot {lot_id!r} has {available:g} left, {requested:g} requested",
            lot_id=lot_id,
            available=available,
            requested=requested,
        )
        self.lot_id = lot_id


class StaleScheduleVersion(MesConflict):
    code = "stale_schedule_version"

    def __init__(self, schedule_version: str, work_center_id: str, current_version: str) -> None:
        super().__init__(
            f"schedule {schedule_version!r} is older than {current_version!r}"
            f" at work center {work_center_id!r}",
            schedule_version=schedule_version,
            work_center_id=work_center_id,
            current_version=current_version,
        )
        self.schedule_version = schedule_version
        self.work_center_id = work_center_id


class ConcurrentModification(MesConflict):
    """Someone else changed the row since we read it; retrying the command helps."""

    code = "concurrent_modification"

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(f"{kind} {entity_id!r} was changed concurrently; retry", kind=kind, id=entity_id)
        self.entity_id = entity_id
