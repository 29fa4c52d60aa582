"""The facts of the quality ledger: lots, work orders, operations, genealogy edges and inspections, plus the
MES naming convention that links an operation to its work order (``<work order>/<seq>``; the lot a work
order produces is named by the MES's own :func:`~plantloop.mes.domain.work_order.lot_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

#: Maps an instant (UTC) to the shift id on duty then (``None`` outside working time).
ShiftOf = Callable[[datetime], str | None]

PURCHASED = "purchased"
PRODUCED = "produced"


def work_order_of(operation_id: str) -> str:
    """The MES convention: an operation id is ``<work order>/<seq>``."""
    head, sep, _ = operation_id.rpartition("/")
    return head if sep and head else operation_id


@dataclass(slots=True)
class LotFact:
    lot_id: str
    material_id: str | None
    kind: str
    supplier_id: str | None = None
    supplier_lot_ref: str | None = None
    work_order_id: str | None = None
    created_at: datetime | None = None
    held: bool = False
    #: Released after a hold: someone reviewed it and decided (a disposition); not to be held again.
    dispositioned: bool = False


@dataclass(slots=True)
class WorkOrderFact:
    work_order_id: str
    material_id: str | None
    qty: int | None = None
    parent_work_order_id: str | None = None
    sales_order_id: str | None = None
    customer: str | None = None
    due_at: datetime | None = None


@dataclass(slots=True)
class OperationFact:
    operation_id: str
    work_order_id: str
    lot_id: str
    material_id: str | None = None
    seq: int | None = None
    work_center_id: str | None = None
    equipment_id: str | None = None
    operator_id: str | None = None
    shift_id: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    qty_good: int = 0
    qty_scrap: int = 0
    scrap_defect_code: str | None = None
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True, slots=True)
class ConsumptionFact:
    """``qty`` of ``component_lot_id`` went into ``produced_lot_id`` at ``operation_id``."""

    produced_lot_id: str
    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InspectionFact:
    inspection_id: str
    operation_id: str
    work_order_id: str
    lot_id: str
    equipment_id: str | None
    passed: bool
    qty_inspected: int
    qty_defective: int
    defect_code: str | None
    at: datetime
    measurements: Mapping[str, float] = field(default_factory=dict)


class LedgerListener(Protocol):
    """Told about every change (e.g. a genealogy index that extends itself incrementally)."""

    def lot_changed(self, lot: LotFact, work_order: WorkOrderFact | None) -> None: ...

    def operation_changed(self, operation: OperationFact) -> None: ...

    def edge_added(self, edge: ConsumptionFact) -> None: ...
