"""Lots and their genealogy. A purchased lot is received from a supplier; a produced lot
(``LOT-<work order>``) is created when its order's first operation starts and gets its quantity when the
last one completes. Consuming material records a genealogy edge (component lot → produced lot, qty) on
the produced lot and takes the quantity from the component lot. A held lot cannot be consumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from plantloop.mes.domain import events as ev
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.errors import InsufficientLotQty, InvalidTransition, LotOnHold

#: Floating-point slack when comparing lot quantities (kg of resin are floats).
QTY_EPS = 1e-9


class LotKind(StrEnum):
    PURCHASED = "purchased"
    PRODUCED = "produced"


class LotStatus(StrEnum):
    IN_PROCESS = "in_process"
    AVAILABLE = "available"
    CONSUMED = "consumed"


@dataclass(frozen=True, slots=True)
class GenealogyEdge:
    """``qty`` of ``component_lot_id`` went into the lot that holds this edge, at ``operation_id``."""

    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime


class Lot(Aggregate):
    kind = "lot"

    def __init__(
        self,
        *,
        id: str,
        material_id: str,
        lot_kind: LotKind,
        qty: float,
        status: LotStatus,
        held: bool = False,
        supplier_id: str | None = None,
        supplier_lot_ref: str | None = None,
        work_order_id: str | None = None,
        created_at: datetime | None = None,
        components: list[GenealogyEdge] | None = None,
        event_seq: int = 0,
    ) -> None:
        self.id = id
        self.material_id = material_id
        self.lot_kind = lot_kind
        self.qty = qty
        self.status = status
        self.held = held
        self.supplier_id = supplier_id
        self.supplier_lot_ref = supplier_lot_ref
        self.work_order_id = work_order_id
        self.created_at = created_at
        self.components = components or []
        self._init_aggregate(event_seq)

    @classmethod
    def receive(
        cls,
        *,
        id: str,
        material_id: str,
        supplier_id: str,
        qty: float,
        supplier_lot_ref: str | None,
        at: datetime,
    ) -> Lot:
        lot = cls(
            id=id,
            material_id=material_id,
            lot_kind=LotKind.PURCHASED,
            qty=qty,
            status=LotStatus.AVAILABLE,
            supplier_id=supplier_id,
            supplier_lot_ref=supplier_lot_ref,
            created_at=at,
        )
        lot._record(
            ev.MaterialLotReceived(
                at=at,
                lot_id=id,
                material_id=material_id,
                supplier_id=supplier_id,
                qty=qty,
                supplier_lot_ref=supplier_lot_ref,
            )
        )
        return lot

    @classmethod
    def produce(cls, *, id: str, material_id: str, work_order_id: str, at: datetime) -> Lot:
        lot = cls(
            id=id,
            material_id=material_id,
            lot_kind=LotKind.PRODUCED,
            qty=0.0,
            status=LotStatus.IN_PROCESS,
            work_order_id=work_order_id,
            created_at=at,
        )
        lot._record(ev.LotCreated(at=at, lot_id=id, material_id=material_id, work_order_id=work_order_id))
        return lot

    def complete(self, qty: float, at: datetime) -> None:
        self.qty = qty
        self.status = LotStatus.AVAILABLE if qty > QTY_EPS else LotStatus.CONSUMED
        self._record(
            ev.LotCompleted(
                at=at,
                lot_id=self.id,
                material_id=self.material_id,
                work_order_id=self.work_order_id or "",
                qty=qty,
            )
        )

    def consume(
        self, qty: float, *, into: Lot, operation_id: str, equipment_id: str | None, at: datetime
    ) -> None:
        """Take ``qty`` from this lot into the produced lot ``into`` (which records the genealogy edge)."""
        if self.held:
            raise LotOnHold(self.id)
        if self.id == into.id:
            raise InvalidTransition("lot", self.id, self.status.value, "be consumed into itself")
        if self.status is LotStatus.IN_PROCESS:
            raise InvalidTransition("lot", self.id, self.status.value, "be consumed before it is complete")
        if qty > self.qty + QTY_EPS:
            raise InsufficientLotQty(self.id, self.qty, qty)
        self.qty = max(self.qty - qty, 0.0)
        if self.qty <= QTY_EPS:
            self.qty = 0.0
            self.status = LotStatus.CONSUMED
        into.components.append(
            GenealogyEdge(component_lot_id=self.id, qty=qty, operation_id=operation_id, at=at)
        )
        self._record(
            ev.MaterialConsumed(
                at=at,
                lot_id=self.id,
                material_id=self.material_id,
                qty=qty,
                qty_left=self.qty,
                produced_lot_id=into.id,
                operation_id=operation_id,
                equipment_id=equipment_id,
            )
        )

    def hold(self, reason: str, decision_id: str | None, at: datetime) -> None:
        if self.held:
            raise InvalidTransition("lot", self.id, "held", "hold")
        self.held = True
        self._record(ev.LotHeld(at=at, lot_id=self.id, reason=reason, decision_id=decision_id))

    def release(self, reason: str, at: datetime) -> None:
        if not self.held:
            raise InvalidTransition("lot", self.id, "not held", "release")
        self.held = False
        self._record(ev.LotReleased(at=at, lot_id=self.id, reason=reason))
