"""Backward and forward traces over the lot genealogy, with the context a quality engineer needs.

- **Backward** (``trace_backward``): from a product lot to every component lot below it across the
  multi-level BOM, with each purchased lot's supplier and supplier lot, and every operation that made the
  lot or one of its produced components — work center, machine, operator, shift, time window and the
  process parameters reported for that window.
- **Forward** (``trace_forward``): from a (supplier) lot to every lot it went into, the end lots (those
  nobody consumed yet: finished products or work in progress) and the shipments they belong to (sales
  order and customer of the end lot's work order).

Both read a :class:`~plantloop.optimize.quality.genealogy_index.GenealogyIndex`. :class:`LedgerIndexer`
keeps an index current from a :class:`~plantloop.optimize.quality.ledger.QualityLedger` (fact by fact);
:func:`index_ledger` builds one in bulk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from plantloop.optimize.quality.errors import UnknownTraceLot
from plantloop.optimize.quality.genealogy_columns import NO_TIME, IntArray
from plantloop.optimize.quality.genealogy_index import KIND_NAMES, KIND_PURCHASED, GenealogyIndex
from plantloop.optimize.quality.ledger import (
    ConsumptionFact,
    LotFact,
    OperationFact,
    QualityLedger,
    WorkOrderFact,
)

Direction = Literal["backward", "forward"]
LOT_COLUMNS = (
    "lot_id",
    "material_id",
    "kind",
    "supplier_id",
    "supplier_lot_ref",
    "work_order_id",
    "created_at",
    "sales_order_id",
    "customer",
)


def _time(ns: int) -> datetime | None:
    return None if ns == NO_TIME else datetime.fromtimestamp(ns / 1e9, tz=UTC)


@dataclass(frozen=True)
class TracedLot:
    lot_id: str
    material_id: str | None
    kind: str
    depth: int
    supplier_id: str | None = None
    supplier_lot_ref: str | None = None
    work_order_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class TraceLink:
    produced_lot_id: str
    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime | None


@dataclass(frozen=True)
class OperationContext:
    """One operation that made a traced lot: where, who, when, and its process parameters."""

    operation_id: str
    lot_id: str
    work_order_id: str | None
    material_id: str | None
    seq: int
    work_center_id: str | None
    equipment_id: str | None
    operator_id: str | None
    shift_id: str | None
    started_at: datetime | None
    completed_at: datetime | None
    qty_good: int
    qty_scrap: int
    scrap_defect_code: str | None
    parameters: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Shipment:
    lot_id: str
    material_id: str | None
    sales_order_id: str | None
    customer: str | None


@dataclass(frozen=True)
class BackwardTrace:
    lot: TracedLot
    components: list[TracedLot]
    links: list[TraceLink]
    operations: list[OperationContext]

    @property
    def suppliers(self) -> list[str]:
        return sorted({c.supplier_id for c in self.components if c.supplier_id})

    @property
    def supplier_lots(self) -> list[TracedLot]:
        return [c for c in self.components if c.kind == KIND_NAMES[KIND_PURCHASED]]

    @property
    def machines(self) -> list[str]:
        return sorted({o.equipment_id for o in self.operations if o.equipment_id})

    @property
    def operators(self) -> list[str]:
        return sorted({o.operator_id for o in self.operations if o.operator_id})

    @property
    def shifts(self) -> list[str]:
        return sorted({o.shift_id for o in self.operations if o.shift_id})

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            suppliers=self.suppliers, machines=self.machines, operators=self.operators, shifts=self.shifts
        )
        return out


@dataclass(frozen=True)
class ForwardTrace:
    lot: TracedLot
    affected: list[TracedLot]
    links: list[TraceLink]
    end_lots: list[TracedLot]
    shipments: list[Shipment]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GenealogyTracer:
    """Traces over one index (the index may keep growing between calls)."""

    def __init__(self, index: GenealogyIndex) -> None:
        self.index = index

    def _lot(self, row: int, depth: int) -> TracedLot:
        ix = self.index
        lot = ix.lot
        return TracedLot(
            lot_id=ix.lot_ids[row],
            material_id=ix.materials.name(int(lot["material"][row])),
            kind=KIND_NAMES[int(lot["kind"][row])],
            depth=depth,
            supplier_id=ix.suppliers.name(int(lot["supplier"][row])),
            supplier_lot_ref=ix.refs.name(int(lot["ref"][row])),
            work_order_id=ix.work_orders.name(int(lot["work_order"][row])),
            created_at=_time(int(ix.lot_created[row])),
        )

    def _links(self, rows: IntArray) -> list[TraceLink]:
        ix = self.index
        produced, component = ix.edge["produced"].view[rows], ix.edge["component"].view[rows]
        operation, qty, at = ix.edge["operation"].view[rows], ix.edge_qty.view[rows], ix.edge_at.view[rows]
        return [
            TraceLink(ix.lot_ids[p], ix.lot_ids[c], float(q), ix.op_ids[o], _time(int(t)))
            for p, c, o, q, t in zip(
                produced.tolist(),
                component.tolist(),
                operation.tolist(),
                qty.tolist(),
                at.tolist(),
                strict=True,
            )
        ]

    def _operations(self, lots: IntArray) -> list[OperationContext]:
        ix = self.index
        rows = np.sort(ix.lot_ops.rows(lots))
        param_rows = ix.op_params.rows(rows)
        params: dict[int, dict[str, float]] = {}
        for op, name, value in zip(
            ix.param_op.view[param_rows].tolist(),
            ix.param_name.view[param_rows].tolist(),
            ix.param_value.view[param_rows].tolist(),
            strict=True,
        ):
            params.setdefault(op, {})[str(ix.param_names.name(name))] = value
        op = ix.op
        out = [
            OperationContext(
                operation_id=ix.op_ids[r],
                lot_id=ix.lot_ids[int(op["lot"][r])],
                work_order_id=ix.work_orders.name(int(op["work_order"][r])),
                material_id=ix.materials.name(int(op["material"][r])),
                seq=int(op["seq"][r]),
                work_center_id=ix.places.name(int(op["work_center"][r])),
                equipment_id=ix.places.name(int(op["equipment"][r])),
                operator_id=ix.people.name(int(op["operator"][r])),
                shift_id=ix.shifts.name(int(op["shift"][r])),
                started_at=_time(int(ix.op_started[r])),
                completed_at=_time(int(ix.op_completed[r])),
                qty_good=int(op["qty_good"][r]),
                qty_scrap=int(op["qty_scrap"][r]),
                scrap_defect_code=ix.defects.name(int(op["defect"][r])),
                parameters=params.get(r, {}),
            )
            for r in rows.tolist()
        ]
        out.sort(key=lambda o: (o.started_at or datetime.min.replace(tzinfo=UTC), o.operation_id))
        return out

    def _start(self, lot_id: str) -> int:
        row = self.index.lot_index.get(lot_id)
        if row is None:
            raise UnknownTraceLot(lot_id)
        return row

    def backward(self, lot_id: str, max_depth: int = 20, *, with_operations: bool = True) -> BackwardTrace:
        """Everything that went into ``lot_id``, and every operation that made it or its components."""
        start = self._start(lot_id)
        nodes, depths, edges = self.index.walk(start, "backward", max_depth)
        components = [self._lot(n, d) for n, d in zip(nodes.tolist(), depths.tolist(), strict=True)]
        operations: list[OperationContext] = []
        if with_operations:
            operations = self._operations(np.concatenate([[start], nodes]).astype(np.int64))
        return BackwardTrace(self._lot(start, 0), components, self._links(edges), operations)

    def forward(self, lot_id: str, max_depth: int = 20) -> ForwardTrace:
        """Every lot ``lot_id`` went into, the end lots among them and their shipments."""
        start = self._start(lot_id)
        nodes, depths, edges = self.index.walk(start, "forward", max_depth)
        affected = [self._lot(n, d) for n, d in zip(nodes.tolist(), depths.tolist(), strict=True)]
        consumed = set(self.index.edge["component"].view[edges].tolist())
        end_rows = [n for n in nodes.tolist() if n not in consumed]
        ends = set(end_rows)
        end_lots = [lot for lot, n in zip(affected, nodes.tolist(), strict=True) if n in ends]
        lot = self.index.lot
        shipments = [
            Shipment(
                lot_id=self.index.lot_ids[r],
                material_id=self.index.materials.name(int(lot["material"][r])),
                sales_order_id=self.index.sales_orders.name(int(lot["sales_order"][r])),
                customer=self.index.customers.name(int(lot["customer"][r])),
            )
            for r in end_rows
            if int(lot["sales_order"][r]) or int(lot["customer"][r])
        ]
        return ForwardTrace(self._lot(start, 0), affected, self._links(edges), end_lots, shipments)

    def trace(self, lot_id: str, direction: Direction, max_depth: int = 20) -> BackwardTrace | ForwardTrace:
        return (
            self.backward(lot_id, max_depth) if direction == "backward" else self.forward(lot_id, max_depth)
        )


class LedgerIndexer:
    """A ledger listener that extends a genealogy index fact by fact."""

    def __init__(self, index: GenealogyIndex) -> None:
        self.index = index
        self._with_params: set[str] = set()

    def attach(self, ledger: QualityLedger) -> LedgerIndexer:
        ledger.listeners.append(self)
        return self

    def lot_changed(self, lot: LotFact, work_order: WorkOrderFact | None) -> None:
        self.index.set_lot(
            lot.lot_id,
            material_id=lot.material_id,
            kind=lot.kind,
            supplier_id=lot.supplier_id,
            supplier_lot_ref=lot.supplier_lot_ref,
            work_order_id=lot.work_order_id,
            created_at=lot.created_at,
            sales_order_id=work_order.sales_order_id if work_order else None,
            customer=work_order.customer if work_order else None,
        )

    def operation_changed(self, operation: OperationFact) -> None:
        fields = _operation_fields(operation)
        if operation.parameters and operation.operation_id not in self._with_params:
            self._with_params.add(operation.operation_id)
            fields["parameters"] = operation.parameters
        self.index.set_operation(operation.operation_id, operation.lot_id, **fields)

    def edge_added(self, edge: ConsumptionFact) -> None:
        self.index.add_edge(edge.produced_lot_id, edge.component_lot_id, edge.qty, edge.operation_id, edge.at)


def _operation_fields(op: OperationFact) -> dict[str, Any]:
    return {
        "work_order_id": op.work_order_id,
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


def index_ledger(ledger: QualityLedger, index: GenealogyIndex | None = None) -> GenealogyIndex:
    """A genealogy index of everything in ``ledger``, built in bulk."""
    index = index or GenealogyIndex()
    lots = pd.DataFrame(
        [
            {
                "lot_id": lot.lot_id,
                "material_id": lot.material_id,
                "kind": lot.kind,
                "supplier_id": lot.supplier_id,
                "supplier_lot_ref": lot.supplier_lot_ref,
                "work_order_id": lot.work_order_id,
                "created_at": lot.created_at,
                "sales_order_id": wo.sales_order_id if wo else None,
                "customer": wo.customer if wo else None,
            }
            for lot in ledger.lots.values()
            for wo in [ledger.work_orders.get(lot.work_order_id or "")]
        ],
        columns=[*LOT_COLUMNS],
    )
    edges = pd.DataFrame(
        [asdict(e) for e in ledger.consumptions],
        columns=["produced_lot_id", "component_lot_id", "qty", "operation_id", "at"],
    )
    ops = pd.DataFrame(
        [
            {"operation_id": o.operation_id, "lot_id": o.lot_id, **_operation_fields(o)}
            for o in ledger.operations.values()
        ]
    )
    params = pd.DataFrame(
        [
            {"operation_id": o.operation_id, "name": k, "value": v}
            for o in ledger.operations.values()
            for k, v in o.parameters.items()
        ],
        columns=["operation_id", "name", "value"],
    )
    return index.load_frames(lots, edges, ops if len(ops) else None, params)
