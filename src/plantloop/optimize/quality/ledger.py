"""The quality ledger: the shop-floor facts quality analytics need, folded from MES events.

One record per lot (purchased or produced), work order, operation (where, who, which shift, when, how many
good and scrap, process parameters), genealogy edge (component lot → produced lot at an operation) and
inspection. The ledger is filled through typed methods; :mod:`.feeds` maps MES events (outbox or ODS)
and MES commands (what the simulator's shop floor reports) onto them, so the same analytics run on a real
plant's event stream and on the twin.

Facts may arrive in any order (an ``OperationCompleted`` before its ``OperationStarted``, a consumption
before its produced lot is announced): every method fills what it knows and leaves the rest to later
facts. Redelivered facts are idempotent (keys: lot id, operation id, inspection id, and the full edge).

The ledger is a write model for streaming use; analytics read it as pandas frames (``*_frame()``) or
through :class:`~plantloop.optimize.quality.genealogy_index.GenealogyIndex`. The fact records are in
:mod:`.facts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from plantloop.kernel.clock import ensure_utc
from plantloop.mes.domain.work_order import lot_of
from plantloop.optimize.quality.facts import (
    PRODUCED,
    PURCHASED,
    ConsumptionFact,
    InspectionFact,
    LedgerListener,
    LotFact,
    OperationFact,
    ShiftOf,
    WorkOrderFact,
    work_order_of,
)

__all__ = [
    "PRODUCED",
    "PURCHASED",
    "ConsumptionFact",
    "InspectionFact",
    "LedgerListener",
    "LotFact",
    "OperationFact",
    "QualityLedger",
    "ShiftOf",
    "WorkOrderFact",
    "work_order_of",
]


class QualityLedger:
    """Lots, work orders, operations, genealogy edges and inspections, keyed by their MES ids."""

    def __init__(
        self, shift_of: ShiftOf | None = None, work_center_of: Mapping[str, str] | None = None
    ) -> None:
        self.shift_of = shift_of
        #: Equipment → work center (master data), for facts that name only the machine.
        self.work_center_of = dict(work_center_of or {})
        self.lots: dict[str, LotFact] = {}
        self.work_orders: dict[str, WorkOrderFact] = {}
        self.operations: dict[str, OperationFact] = {}
        self.consumptions: list[ConsumptionFact] = []
        self.inspections: dict[str, InspectionFact] = {}
        self.listeners: list[LedgerListener] = []
        self._edge_keys: set[tuple[str, str, str, datetime]] = set()
        #: Bumped by every change; analytics cache frames against it.
        self.version = 0

    # ---- lots and work orders --------------------------------------------------------------------
    def receive_lot(
        self,
        lot_id: str,
        material_id: str,
        supplier_id: str | None,
        at: datetime,
        supplier_lot_ref: str | None = None,
    ) -> None:
        lot = self.lots.get(lot_id)
        if lot is None:
            self.lots[lot_id] = LotFact(
                lot_id, material_id, PURCHASED, supplier_id, supplier_lot_ref, None, ensure_utc(at)
            )
        else:
            lot.material_id, lot.kind, lot.supplier_id = material_id, PURCHASED, supplier_id
            lot.supplier_lot_ref = supplier_lot_ref
            lot.created_at = lot.created_at or ensure_utc(at)
        self._lot_changed(self.lots[lot_id])
        self.version += 1

    def create_work_order(
        self,
        work_order_id: str,
        material_id: str | None,
        *,
        qty: int | None = None,
        parent_work_order_id: str | None = None,
        sales_order_id: str | None = None,
        customer: str | None = None,
        due_at: datetime | None = None,
    ) -> None:
        wo = self.work_orders.get(work_order_id)
        if wo is None:
            wo = self.work_orders[work_order_id] = WorkOrderFact(work_order_id, material_id)
        wo.material_id = material_id or wo.material_id
        wo.qty = qty if qty is not None else wo.qty
        wo.parent_work_order_id = parent_work_order_id or wo.parent_work_order_id
        wo.sales_order_id = sales_order_id or wo.sales_order_id
        wo.customer = customer or wo.customer
        wo.due_at = ensure_utc(due_at) if due_at is not None else wo.due_at
        self._lot_changed(self._produced_lot(work_order_id, None))
        self.version += 1

    def set_hold(self, lot_id: str, held: bool) -> None:
        lot = self.lots.get(lot_id)
        if lot is not None:
            lot.dispositioned = lot.dispositioned or (lot.held and not held)
            lot.held = held
            self.version += 1

    def _lot_changed(self, lot: LotFact) -> None:
        wo = self.work_orders.get(lot.work_order_id) if lot.work_order_id else None
        for listener in self.listeners:
            listener.lot_changed(lot, wo)

    def _operation_changed(self, op: OperationFact) -> None:
        for listener in self.listeners:
            listener.operation_changed(op)

    def _produced_lot(self, work_order_id: str, at: datetime | None) -> LotFact:
        lot_id = lot_of(work_order_id)
        lot = self.lots.get(lot_id)
        wo = self.work_orders.get(work_order_id)
        material = wo.material_id if wo is not None else None
        if lot is None:
            lot = self.lots[lot_id] = LotFact(lot_id, material, PRODUCED, work_order_id=work_order_id)
        lot.material_id = lot.material_id or material
        if at is not None and lot.created_at is None:
            lot.created_at = ensure_utc(at)
        return lot

    # ---- operations ------------------------------------------------------------------------------
    def _operation(self, operation_id: str, work_order_id: str | None = None) -> OperationFact:
        op = self.operations.get(operation_id)
        if op is None:
            wo_id = work_order_id or work_order_of(operation_id)
            wo = self._ensure_work_order(wo_id)
            _, _, tail = operation_id.rpartition("/")
            op = self.operations[operation_id] = OperationFact(
                operation_id,
                wo_id,
                lot_of(wo_id),
                material_id=wo.material_id,
                seq=int(tail) if tail.isdigit() else None,
            )
        return op

    def _ensure_work_order(self, work_order_id: str) -> WorkOrderFact:
        """A work order known only from its operations; a child's parent and material follow the MES
        naming convention ``<parent>~<material>``."""
        wo = self.work_orders.get(work_order_id)
        if wo is None:
            parent, sep, material = work_order_id.rpartition("~")
            wo = self.work_orders[work_order_id] = WorkOrderFact(
                work_order_id, material if sep else None, parent_work_order_id=parent if sep else None
            )
        return wo

    def start_operation(
        self,
        operation_id: str,
        equipment_id: str | None,
        at: datetime,
        *,
        operator_id: str | None = None,
        work_order_id: str | None = None,
        material_id: str | None = None,
        seq: int | None = None,
        work_center_id: str | None = None,
    ) -> None:
        op = self._operation(operation_id, work_order_id)
        at = ensure_utc(at)
        op.equipment_id = equipment_id or op.equipment_id
        op.operator_id = operator_id or op.operator_id
        op.material_id = material_id or op.material_id
        op.seq = seq if seq is not None else op.seq
        op.work_center_id = (
            work_center_id or op.work_center_id or self.work_center_of.get(op.equipment_id or "")
        )
        if op.started_at is None:
            op.started_at = at
            op.shift_id = self.shift_of(at) if self.shift_of else None
        self._lot_changed(self._produced_lot(op.work_order_id, at))
        self._operation_changed(op)
        self.version += 1

    def complete_operation(
        self,
        operation_id: str,
        at: datetime,
        qty_good: int,
        qty_scrap: int,
        *,
        scrap_defect_code: str | None = None,
        parameters: Mapping[str, float] | None = None,
        equipment_id: str | None = None,
        operator_id: str | None = None,
        started_at: datetime | None = None,
        work_order_id: str | None = None,
        material_id: str | None = None,
        seq: int | None = None,
        work_center_id: str | None = None,
    ) -> None:
        op = self._operation(operation_id, work_order_id)
        op.completed_at = ensure_utc(at)
        op.qty_good, op.qty_scrap = int(qty_good), int(qty_scrap)
        op.scrap_defect_code = scrap_defect_code
        op.parameters = {str(k): float(v) for k, v in (parameters or {}).items()}
        op.equipment_id = equipment_id or op.equipment_id
        op.operator_id = operator_id or op.operator_id
        op.material_id = material_id or op.material_id
        op.seq = seq if seq is not None else op.seq
        op.work_center_id = work_center_id or op.work_center_id
        if op.started_at is None and started_at is not None:
            op.started_at = ensure_utc(started_at)
            op.shift_id = self.shift_of(op.started_at) if self.shift_of else None
        self._operation_changed(op)
        self.version += 1

    # ---- genealogy and inspections ---------------------------------------------------------------
    def consume(
        self,
        operation_id: str,
        component_lot_id: str,
        qty: float,
        at: datetime,
        *,
        produced_lot: str | None = None,
        material_id: str | None = None,
    ) -> None:
        at = ensure_utc(at)
        op = self._operation(operation_id)
        into = produced_lot or op.lot_id
        key = (into, component_lot_id, operation_id, at)
        if key in self._edge_keys:
            return
        self._edge_keys.add(key)
        if component_lot_id not in self.lots:
            produced = component_lot_id.startswith("LOT-")
            self.lots[component_lot_id] = LotFact(
                component_lot_id,
                material_id,
                PRODUCED if produced else PURCHASED,
                work_order_id=component_lot_id[4:] if produced else None,
            )
            self._lot_changed(self.lots[component_lot_id])
        elif material_id and self.lots[component_lot_id].material_id is None:
            self.lots[component_lot_id].material_id = material_id
            self._lot_changed(self.lots[component_lot_id])
        self._lot_changed(self._produced_lot(op.work_order_id, at))
        edge = ConsumptionFact(into, component_lot_id, float(qty), operation_id, at)
        self.consumptions.append(edge)
        for listener in self.listeners:
            listener.edge_added(edge)
        self.version += 1

    def record_inspection(
        self,
        inspection_id: str,
        operation_id: str,
        at: datetime,
        *,
        passed: bool,
        qty_inspected: int,
        qty_defective: int,
        defect_code: str | None = None,
        measurements: Mapping[str, float] | None = None,
        equipment_id: str | None = None,
    ) -> None:
        op = self._operation(operation_id)
        self.inspections[inspection_id] = InspectionFact(
            inspection_id,
            operation_id,
            op.work_order_id,
            op.lot_id,
            equipment_id or op.equipment_id,
            passed,
            int(qty_inspected),
            int(qty_defective),
            defect_code,
            ensure_utc(at),
            dict(measurements or {}),
        )
        self.version += 1

    # ---- views -----------------------------------------------------------------------------------
    def top_work_order(self, work_order_id: str) -> str:
        """The top-level work order above ``work_order_id`` (itself when it has no parent)."""
        seen = {work_order_id}
        current = work_order_id
        while True:
            wo = self.work_orders.get(current)
            parent = wo.parent_work_order_id if wo else None
            if parent is None and "~" in current:
                parent = current.rsplit("~", 1)[0]  # MES convention for child work orders
            if parent is None or parent in seen:
                return current
            seen.add(parent)
            current = parent

    def operations_frame(self, *, completed_only: bool = True) -> pd.DataFrame:
        """One row per operation; parameters as ``param:<name>`` columns."""
        rows = []
        for op in self.operations.values():
            if completed_only and not op.completed:
                continue
            row: dict[str, object] = {
                "operation_id": op.operation_id,
                "work_order_id": op.work_order_id,
                "lot_id": op.lot_id,
                "material_id": op.material_id,
                "seq": op.seq,
                "work_center_id": op.work_center_id,
                "equipment_id": op.equipment_id,
                "operator_id": op.operator_id,
                "shift_id": op.shift_id,
                "started_at": op.started_at,
                "completed_at": op.completed_at,
                "qty_good": op.qty_good,
                "qty_scrap": op.qty_scrap,
                "scrap_defect_code": op.scrap_defect_code,
            }
            for name, value in op.parameters.items():
                row[f"param:{name}"] = value
            rows.append(row)
        return pd.DataFrame(rows)

    def inspections_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "inspection_id": i.inspection_id,
                    "operation_id": i.operation_id,
                    "work_order_id": i.work_order_id,
                    "lot_id": i.lot_id,
                    "equipment_id": i.equipment_id,
                    "passed": i.passed,
                    "qty_inspected": i.qty_inspected,
                    "qty_defective": i.qty_defective,
                    "defect_code": i.defect_code,
                    "at": i.at,
                }
                for i in self.inspections.values()
            ]
        )
