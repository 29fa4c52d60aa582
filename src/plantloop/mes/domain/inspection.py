"""Quality inspections: a recorded result (pass / fail, defects, measurements) of one operation's output."""

from __future__ import annotations

from datetime import datetime

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.commands import InspectionResult
from plantloop.mes.domain.errors import InvalidQuantity


class Inspection(Aggregate):
    kind = "inspection"

    def __init__(
        self,
        *,
        id: str,
        operation_id: str,
        work_order_id: str,
        lot_id: str,
        material_id: str,
        equipment_id: str | None,
        result: InspectionResult,
        qty_inspected: int,
        qty_defective: int,
        defect_code: str | None,
        measurements: dict[str, float],
        inspector_id: str | None,
        recorded_at: datetime,
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.operation_id = operation_id
        self.work_order_id = work_order_id
        self.lot_id = lot_id
        self.material_id = material_id
        self.equipment_id = equipment_id
        self.result = result
        self.qty_inspected = qty_inspected
        self.qty_defective = qty_defective
        self.defect_code = defect_code
        self.measurements = measurements
        self.inspector_id = inspector_id
        self.recorded_at = recorded_at
        self._init_aggregate(event_seq)

    @classmethod
    def record(
        cls,
        *,
        id: str,
        operation_id: str,
        work_order_id: str,
        lot_id: str,
        material_id: str,
        equipment_id: str | None,
        result: InspectionResult,
        qty_inspected: int,
        qty_defective: int,
        defect_code: str | None,
        measurements: dict[str, float],
        inspector_id: str | None,
        at: datetime,
    ) -> Inspection:
        if qty_defective > qty_inspected:
            raise InvalidQuantity(
                f"inspection {id!r}: {qty_defective} defective of {qty_inspected} inspected", inspection_id=id
            )
        insp = cls(
            id=id,
            operation_id=operation_id,
            work_order_id=work_order_id,
            lot_id=lot_id,
            material_id=material_id,
            equipment_id=equipment_id,
            result=result,
            qty_inspected=qty_inspected,
            qty_defective=qty_defective,
            defect_code=defect_code,
            measurements=dict(measurements),
            inspector_id=inspector_id,
            recorded_at=at,
        )
        insp._record(
            ev.InspectionRecorded(
                at=at,
                inspection_id=id,
                operation_id=operation_id,
                work_order_id=work_order_id,
                lot_id=lot_id,
                material_id=material_id,
                equipment_id=equipment_id,
                result=result.value,
                qty_inspected=qty_inspected,
                qty_defective=qty_defective,
                defect_code=defect_code,
                measurements=dict(measurements),
                inspector_id=inspector_id,
            )
        )
        return insp
