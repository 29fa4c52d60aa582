"""The lot genealogy as an in-memory graph index, fast enough to trace a plant's whole history.

Why an index: a trace is a walk over a graph of millions of lots, and its answer must not depend on where
the history lives. Recursive SQL is fast on a B-tree-indexed operational store (the MES's SQLite or
PostgreSQL, measured in ``bench/genealogy.py``) but takes seconds on the warehouse engine (DuckDB, no
point indexes) and cannot hold facts that come from other sources (external MES, ODS) in one graph. Here
lots, genealogy edges, operations and process parameters are held column-wise in NumPy arrays (strings
coded once), and the edges in compressed sparse rows (CSR) in both directions. A trace is a breadth-first
walk in which every level is one vectorised gather, so its cost depends on the size of the answer, not of
the history.

Facts keep arriving while the index is in use. New lots, edges and operations are appended to growable
arrays at once; the CSR arrays cover a prefix and a small *delta* (Python adjacency lists) covers the rest.
When the delta passes ``rebuild_fraction`` of the indexed edges the CSR is rebuilt — the cost of
rebuilding is amortised over many appends, like an LSM tree.

:mod:`.genealogy` turns walks into traces with their context (operations, machines, operators, shifts,
parameters, shipments); this module knows only ids, codes and arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plantloop.optimize.quality.genealogy_columns import (
    NO_TIME,
    Growable,
    IntArray,
    Relation,
    Vocabulary,
    scalar_ns,
    to_ns,
)

KIND_UNKNOWN, KIND_PURCHASED, KIND_PRODUCED = 0, 1, 2
KIND_CODES = {"purchased": KIND_PURCHASED, "produced": KIND_PRODUCED}
KIND_NAMES = {KIND_UNKNOWN: "unknown", KIND_PURCHASED: "purchased", KIND_PRODUCED: "produced"}


class GenealogyIndex:
    """Lots, genealogy edges, operations and parameters, column-wise, with CSR adjacency."""

    def __init__(self, rebuild_fraction: float = 0.05) -> None:
        self.materials, self.suppliers, self.refs = Vocabulary(), Vocabulary(), Vocabulary()
        self.work_orders, self.places, self.people = Vocabulary(), Vocabulary(), Vocabulary()
        self.shifts, self.defects, self.param_names = Vocabulary(), Vocabulary(), Vocabulary()
        self.sales_orders, self.customers = Vocabulary(), Vocabulary()
        self.lot_ids: list[str] = []
        self.lot_index: dict[str, int] = {}
        lot_cols = ("material", "kind", "supplier", "ref", "work_order", "sales_order", "customer")
        self.lot: dict[str, Growable] = {name: Growable(np.int32) for name in lot_cols}
        self.lot_created = Growable(np.int64, NO_TIME)
        self.edge = {name: Growable(np.int32) for name in ("produced", "component", "operation")}
        self.edge_qty, self.edge_at = Growable(np.float64), Growable(np.int64, NO_TIME)
        self.op_ids: list[str] = []
        self.op_index: dict[str, int] = {}
        op_cols = ("lot", "work_order", "material", "seq", "work_center", "equipment", "operator", "shift")
        self.op: dict[str, Growable] = {name: Growable(np.int32) for name in op_cols}
        self.op.update({name: Growable(np.int32) for name in ("qty_good", "qty_scrap", "defect")})
        self.op_started, self.op_completed = Growable(np.int64, NO_TIME), Growable(np.int64, NO_TIME)
        self.param_op, self.param_name = Growable(np.int32), Growable(np.int32)
        self.param_value = Growable(np.float64)
        self.backward = Relation(rebuild_fraction)  # produced lot -> edges
        self.forward = Relation(rebuild_fraction)  # component lot -> edges
        self.lot_ops = Relation(rebuild_fraction)  # produced lot -> operations
        self.op_params = Relation(rebuild_fraction)  # operation -> parameter rows

    # ---- sizes ---------------------------------------------------------------------------------------
    @property
    def n_lots(self) -> int:
        return len(self.lot_ids)

    @property
    def n_edges(self) -> int:
        return self.edge["produced"].size

    @property
    def n_operations(self) -> int:
        return len(self.op_ids)

    # ---- appending one fact at a time ----------------------------------------------------------------
    def lot_code(self, lot_id: str) -> int:
        """The row of ``lot_id``, creating an empty row for a lot seen first as a component."""
        found = self.lot_index.get(lot_id)
        if found is not None:
            return found
        code = self.lot_index[lot_id] = len(self.lot_ids)
        self.lot_ids.append(lot_id)
        for column in self.lot.values():
            column.append(0)
        self.lot_created.append(NO_TIME)
        return code

    def set_lot(self, lot_id: str, **fields: Any) -> int:
        """Upsert a lot's attributes (``material_id``, ``kind``, ``supplier_id``, ``supplier_lot_ref``,
        ``work_order_id``, ``sales_order_id``, ``customer``, ``created_at``); ``None`` leaves a field."""
        row = self.lot_code(lot_id)
        vocab = {
            "material_id": ("material", self.materials),
            "supplier_id": ("supplier", self.suppliers),
            "supplier_lot_ref": ("ref", self.refs),
            "work_order_id": ("work_order", self.work_orders),
            "sales_order_id": ("sales_order", self.sales_orders),
            "customer": ("customer", self.customers),
        }
        for key, value in fields.items():
            if value is None:
                continue
            if key in vocab:
                column, vocabulary = vocab[key]
                self.lot[column][row] = vocabulary.code(str(value))
            elif key == "kind":
                self.lot["kind"][row] = KIND_CODES.get(str(value), KIND_UNKNOWN)
            elif key == "created_at":
                self.lot_created[row] = scalar_ns(value)
            else:
                raise KeyError(f"unknown lot field {key}")
        return row

    def add_edge(
        self, produced_lot_id: str, component_lot_id: str, qty: float, operation_id: str, at: Any
    ) -> None:
        produced, component = self.lot_code(produced_lot_id), self.lot_code(component_lot_id)
        row = self.edge["produced"].append(produced)
        self.edge["component"].append(component)
        self.edge["operation"].append(self._op_code(operation_id))
        self.edge_qty.append(qty)
        self.edge_at.append(scalar_ns(at))
        self.backward.added(produced, row)
        self.forward.added(component, row)

    def _op_code(self, operation_id: str) -> int:
        found = self.op_index.get(operation_id)
        if found is not None:
            return found
        code = self.op_index[operation_id] = len(self.op_ids)
        self.op_ids.append(operation_id)
        for column in self.op.values():
            column.append(0)
        self.op_started.append(NO_TIME)
        self.op_completed.append(NO_TIME)
        return code

    def set_operation(self, operation_id: str, lot_id: str, **fields: Any) -> int:
        """Upsert an operation (``work_order_id``, ``material_id``, ``seq``, ``work_center_id``,
        ``equipment_id``, ``operator_id``, ``shift_id``, ``started_at``, ``completed_at``, ``qty_good``,
        ``qty_scrap``, ``scrap_defect_code``, ``parameters``)."""
        new = operation_id not in self.op_index
        row = self._op_code(operation_id)
        lot = self.lot_code(lot_id)
        if new or self.op["lot"][row] != lot:
            self.op["lot"][row] = lot
            self.lot_ops.added(lot, row)
        coded = {
            "work_order_id": ("work_order", self.work_orders),
            "material_id": ("material", self.materials),
            "work_center_id": ("work_center", self.places),
            "equipment_id": ("equipment", self.places),
            "operator_id": ("operator", self.people),
            "shift_id": ("shift", self.shifts),
            "scrap_defect_code": ("defect", self.defects),
        }
        for key, value in fields.items():
            if value is None:
                continue
            if key in coded:
                column, vocabulary = coded[key]
                self.op[column][row] = vocabulary.code(str(value))
            elif key in ("seq", "qty_good", "qty_scrap"):
                self.op[key][row] = int(value)
            elif key == "started_at":
                self.op_started[row] = scalar_ns(value)
            elif key == "completed_at":
                self.op_completed[row] = scalar_ns(value)
            elif key == "parameters":
                for name, number in dict(value).items():
                    prow = self.param_op.append(row)
                    self.param_name.append(self.param_names.code(str(name)))
                    self.param_value.append(float(number))
                    self.op_params.added(row, prow)
            else:
                raise KeyError(f"unknown operation field {key}")
        return row

    # ---- bulk loading --------------------------------------------------------------------------------
    def load_frames(
        self,
        lots: pd.DataFrame,
        edges: pd.DataFrame,
        operations: pd.DataFrame | None = None,
        parameters: pd.DataFrame | None = None,
    ) -> GenealogyIndex:
        """Bulk-append frames (columns named like the ``set_*`` fields); then rebuild the CSR once."""
        self._bulk_lots(lots)
        for frame, column in ((edges, "produced_lot_id"), (edges, "component_lot_id")):
            self._bulk_lot_ids(frame[column])
        if operations is not None and len(operations):
            self._bulk_lot_ids(operations["lot_id"])
            self._bulk_operations(operations)
        self._bulk_edges(edges)
        if parameters is not None and len(parameters):
            codes = self._op_codes(parameters["operation_id"])
            self.param_op.extend(codes)
            self.param_name.extend(self.param_names.encode(parameters["name"]))
            self.param_value.extend(parameters["value"].to_numpy(dtype=float))
        self.refresh(force=True)
        return self

    def _bulk_lot_ids(self, ids: Iterable[str]) -> npt.NDArray[np.int64]:
        values = pd.Series(ids, dtype=object)
        new = pd.unique(values[~values.isin(self.lot_index)])
        start = len(self.lot_ids)
        self.lot_ids.extend(new.tolist())
        self.lot_index.update(zip(new.tolist(), range(start, start + len(new)), strict=True))
        for column in self.lot.values():
            column.extend(np.zeros(len(new), dtype=np.int32))
        self.lot_created.extend(np.full(len(new), NO_TIME, dtype=np.int64))
        return np.asarray(values.map(self.lot_index).to_numpy(), dtype=np.int64)

    def _bulk_lots(self, lots: pd.DataFrame) -> None:
        rows = self._bulk_lot_ids(lots["lot_id"])
        columns = {
            "material_id": ("material", self.materials),
            "supplier_id": ("supplier", self.suppliers),
            "supplier_lot_ref": ("ref", self.refs),
            "work_order_id": ("work_order", self.work_orders),
            "sales_order_id": ("sales_order", self.sales_orders),
            "customer": ("customer", self.customers),
        }
        for source, (column, vocabulary) in columns.items():
            if source in lots:
                self.lot[column].view[rows] = vocabulary.encode(lots[source])
        if "kind" in lots:
            self.lot["kind"].view[rows] = (
                lots["kind"].map(KIND_CODES).fillna(KIND_UNKNOWN).to_numpy(dtype=int)
            )
        if "created_at" in lots:
            self.lot_created.view[rows] = to_ns(lots["created_at"])

    def _op_codes(self, ids: pd.Series) -> npt.NDArray[np.int64]:
        values = pd.Series(ids, dtype=object)
        new = pd.unique(values[~values.isin(self.op_index)])
        start = len(self.op_ids)
        self.op_ids.extend(new.tolist())
        self.op_index.update(zip(new.tolist(), range(start, start + len(new)), strict=True))
        for column in self.op.values():
            column.extend(np.zeros(len(new), dtype=np.int32))
        self.op_started.extend(np.full(len(new), NO_TIME, dtype=np.int64))
        self.op_completed.extend(np.full(len(new), NO_TIME, dtype=np.int64))
        return np.asarray(values.map(self.op_index).to_numpy(), dtype=np.int64)

    def _bulk_operations(self, ops: pd.DataFrame) -> None:
        rows = self._op_codes(ops["operation_id"])
        self.op["lot"].view[rows] = ops["lot_id"].map(self.lot_index).to_numpy(dtype=np.int64)
        coded = {
            "work_order_id": ("work_order", self.work_orders),
            "material_id": ("material", self.materials),
            "work_center_id": ("work_center", self.places),
            "equipment_id": ("equipment", self.places),
            "operator_id": ("operator", self.people),
            "shift_id": ("shift", self.shifts),
            "scrap_defect_code": ("defect", self.defects),
        }
        for source, (column, vocabulary) in coded.items():
            if source in ops:
                self.op[column].view[rows] = vocabulary.encode(ops[source])
        for name in ("seq", "qty_good", "qty_scrap"):
            if name in ops:
                self.op[name].view[rows] = (
                    pd.to_numeric(ops[name], errors="coerce").fillna(0).to_numpy(np.int64)
                )
        if "started_at" in ops:
            self.op_started.view[rows] = to_ns(ops["started_at"])
        if "completed_at" in ops:
            self.op_completed.view[rows] = to_ns(ops["completed_at"])

    def _bulk_edges(self, edges: pd.DataFrame) -> None:
        self.edge["produced"].extend(edges["produced_lot_id"].map(self.lot_index).to_numpy(dtype=np.int64))
        self.edge["component"].extend(edges["component_lot_id"].map(self.lot_index).to_numpy(dtype=np.int64))
        self.edge["operation"].extend(self._op_codes(edges["operation_id"]))
        self.edge_qty.extend(edges["qty"].to_numpy(dtype=float))
        self.edge_at.extend(to_ns(edges["at"]) if "at" in edges else np.full(len(edges), NO_TIME))

    # ---- adjacency -----------------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        """Rebuild the CSR adjacency when the delta has grown (or always, with ``force``)."""
        self.backward.refresh(self.edge["produced"].view, self.n_lots, force=force)
        self.forward.refresh(self.edge["component"].view, self.n_lots, force=force)
        self.lot_ops.refresh(self.op["lot"].view, self.n_lots, force=force)
        self.op_params.refresh(self.param_op.view, self.n_operations, force=force)

    def walk(self, lot: int, direction: str, max_depth: int) -> tuple[IntArray, IntArray, IntArray]:
        """Breadth-first walk from ``lot``: the lots reached, the depth at which each was first reached,
        and every edge traversed (rows of the edge columns)."""
        self.refresh()
        relation = self.backward if direction == "backward" else self.forward
        other = self.edge["component"] if direction == "backward" else self.edge["produced"]
        seen = {lot}
        nodes: list[IntArray] = []
        depths: list[IntArray] = []
        edges: list[IntArray] = []
        frontier = np.array([lot], dtype=np.int64)
        for depth in range(1, max_depth + 1):
            rows = relation.rows(frontier)
            if len(rows) == 0:
                break
            edges.append(rows)
            reached = np.unique(other.view[rows].astype(np.int64))
            reached = reached[np.fromiter((n not in seen for n in reached.tolist()), bool, len(reached))]
            if len(reached) == 0:
                break
            seen.update(reached.tolist())
            nodes.append(reached)
            depths.append(np.full(len(reached), depth, dtype=np.int64))
            frontier = reached
        empty = np.zeros(0, dtype=np.int64)
        return (
            np.concatenate(nodes) if nodes else empty,
            np.concatenate(depths) if depths else empty,
            np.concatenate(edges) if edges else empty,
        )
