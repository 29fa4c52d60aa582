"""The observation table of a root-cause analysis: one row per completed operation, with its defect count
for the signal and a boolean *exposure* per candidate cause.

A defect signal (:class:`DefectSignal`) names a defect code (or any), a time window and optionally a
product. The population is every operation completed in the window that worked on that product (its own
work orders and the child work orders that fed them), at the routing steps (product, step) that reported
the defect at least once — a defect is found where it is inspected or tested; the step that finds it is
not its cause, and a step that never reports it adds nothing to the contrast. For each operation:

- ``units``: units processed (good + scrap) plus units inspected after it;
- ``defects``: scrapped units reported with the signal's defect code plus defective inspected units with it.

Candidate causes (exposures) of an operation:

==============  ====================================================================================
kind            the operation is exposed when …
==============  ====================================================================================
equipment       it ran on that machine
work_center     it ran in that work center
operator        that person ran it
shift           it started in that shift
supplier_lot    that purchased lot went into its work order (directly or through child lots) at or
                before this operation
supplier        a lot of that supplier did
param_high      its reported value of a process parameter is at or above a quantile (75 / 90 %)
param_low       … at or below a quantile (25 / 10 %)
param_out       … is outside the specification limits (when the plant's limits are known)
==============  ====================================================================================

Parameter candidates are judged only among operations that report the parameter (their ``population``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.quality.errors import InvalidDefectSignal
from plantloop.optimize.quality.ledger import PURCHASED, QualityLedger

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

CATEGORICAL = ("equipment_id", "work_center_id", "operator_id", "shift_id")
_KIND_OF = {
    "equipment_id": "equipment",
    "work_center_id": "work_center",
    "operator_id": "operator",
    "shift_id": "shift",
}


@dataclass(frozen=True)
class DefectSignal:
    """What the quality engineer saw: a defect code (``None``: any), a window and optionally a product."""

    defect_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    material_id: str | None = None

    def describe(self) -> str:
        code = self.defect_code or "any defect"
        product = f" on {self.material_id}" if self.material_id else ""
        window = ""
        if self.start or self.end:
            window = f" between {self.start.isoformat() if self.start else '…'} and "
            window += self.end.isoformat() if self.end else "now"
        return f"{code}{product}{window}"


@dataclass(frozen=True)
class Candidate:
    key: str
    kind: str
    value: str
    exposure: BoolArray
    population: BoolArray
    #: For parameter ranges: the parameter and the threshold (and ``>=`` / ``<=`` / ``out``).
    parameter: str | None = None
    threshold: float | None = None


@dataclass
class Observations:
    signal: DefectSignal
    frame: pd.DataFrame
    units: FloatArray
    defects: FloatArray
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.units)


def _population(ledger: QualityLedger, signal: DefectSignal) -> pd.DataFrame:
    ops = ledger.operations_frame()
    if ops.empty:
        raise InvalidDefectSignal("no completed operations to analyse")
    completed = pd.to_datetime(ops["completed_at"], utc=True)
    keep = np.ones(len(ops), dtype=bool)
    if signal.start is not None:
        keep &= (completed >= pd.Timestamp(signal.start)).to_numpy()
    if signal.end is not None:
        keep &= (completed < pd.Timestamp(signal.end)).to_numpy()
    if signal.material_id is not None:
        top = ops["work_order_id"].map(ledger.top_work_order)
        top_material = top.map(
            lambda w: ledger.work_orders[w].material_id if w in ledger.work_orders else None
        )
        keep &= ((top_material == signal.material_id) | (ops["material_id"] == signal.material_id)).to_numpy()
    selected = ops.loc[keep].reset_index(drop=True)
    if selected.empty:
        raise InvalidDefectSignal(
            f"no completed operations match the signal ({signal.describe()})", signal=signal.describe()
        )
    return selected


def _defect_counts(
    ledger: QualityLedger, ops: pd.DataFrame, code: str | None
) -> tuple[FloatArray, FloatArray]:
    scrap = ops["qty_scrap"].to_numpy(dtype=float)
    matches = np.ones(len(ops), dtype=bool) if code is None else (ops["scrap_defect_code"] == code).to_numpy()
    units = ops["qty_good"].to_numpy(dtype=float) + scrap
    defects = np.where(matches, scrap, 0.0)
    inspections = ledger.inspections_frame()
    if not inspections.empty:
        hit = inspections["qty_defective"]
        if code is not None:
            hit = hit.where(inspections["defect_code"] == code, 0)
        per_op = (
            pd.DataFrame(
                {"operation_id": inspections["operation_id"], "n": inspections["qty_inspected"], "d": hit}
            )
            .groupby("operation_id")
            .sum()
        )
        aligned = per_op.reindex(ops["operation_id"]).fillna(0.0)
        units = units + aligned["n"].to_numpy(dtype=float)
        defects = defects + aligned["d"].to_numpy(dtype=float)
    return units, defects


def _upstream_lots(ledger: QualityLedger, ops: pd.DataFrame) -> list[frozenset[str]]:
    """Purchased lots that reached each operation's work order by the time the operation ran."""
    by_produced: dict[str, list[tuple[str, str]]] = {}
    for edge in ledger.consumptions:
        by_produced.setdefault(edge.produced_lot_id, []).append((edge.component_lot_id, edge.operation_id))
    memo: dict[str, frozenset[str]] = {}

    def all_purchased(lot_id: str, depth: int = 0) -> frozenset[str]:
        if lot_id in memo:
            return memo[lot_id]
        lot = ledger.lots.get(lot_id)
        if lot is not None and lot.kind == PURCHASED:
            memo[lot_id] = frozenset({lot_id})
            return memo[lot_id]
        found: set[str] = set()
        if depth < 50:
            for component, _ in by_produced.get(lot_id, []):
                found |= all_purchased(component, depth + 1)
        memo[lot_id] = frozenset(found)
        return memo[lot_id]

    seq_of = {op.operation_id: (op.seq or 0) for op in ledger.operations.values()}
    out: list[frozenset[str]] = []
    for lot_id, seq in zip(ops["lot_id"], ops["seq"].fillna(0).astype(int), strict=True):
        found: set[str] = set()
        for component, operation_id in by_produced.get(lot_id, []):
            if seq_of.get(operation_id, 0) <= seq:
                found |= all_purchased(component)
        out.append(frozenset(found))
    return out


def _detecting_steps(ledger: QualityLedger, ops: pd.DataFrame, code: str | None) -> np.ndarray:
    """Operations of the routing steps (product, step) that reported ``code`` at least once in the window:
    a defect is found where it is inspected or tested, and a step that never reports it cannot contrast."""
    scrap = ops["qty_scrap"].to_numpy(dtype=float) > 0
    if code is not None:
        scrap &= (ops["scrap_defect_code"] == code).to_numpy()
    inspections = ledger.inspections_frame()
    if not inspections.empty:
        found = inspections["qty_defective"] > 0
        if code is not None:
            found &= inspections["defect_code"] == code
        scrap |= ops["operation_id"].isin(set(inspections.loc[found, "operation_id"])).to_numpy()
    step = ops["material_id"].astype(str) + "#" + ops["seq"].astype(str)
    detecting = set(step[scrap])
    return np.asarray(step.isin(detecting).to_numpy(), dtype=bool)


def build_observations(
    ledger: QualityLedger,
    signal: DefectSignal,
    *,
    spec_limits: Mapping[tuple[str, str], tuple[float, float]] | None = None,
    min_exposed_units: float = 20.0,
    quantiles: tuple[float, ...] = (0.1, 0.25, 0.75, 0.9),
) -> Observations:
    """The population, its defect counts and every candidate with enough exposed units to be judged."""
    ops = _population(ledger, signal)
    detecting = _detecting_steps(ledger, ops, signal.defect_code)
    if detecting.any():
        ops = ops.loc[detecting].reset_index(drop=True)
    units, defects = _defect_counts(ledger, ops, signal.defect_code)
    everyone = np.ones(len(ops), dtype=bool)
    candidates: list[Candidate] = []

    def add(
        key: str, kind: str, value: str, exposure: BoolArray, population: BoolArray, **extra: object
    ) -> None:
        exposed_units = float(units[exposure].sum())
        covered = exposed_units / max(float(units[population].sum()), 1.0)
        if exposed_units >= min_exposed_units and covered < 0.97:
            candidates.append(Candidate(key, kind, value, exposure, population, **extra))  # type: ignore[arg-type]

    for column in CATEGORICAL:
        values = ops[column].astype(object)
        for value in sorted({v for v in values.dropna().unique()}):
            add(
                f"{_KIND_OF[column]}:{value}",
                _KIND_OF[column],
                str(value),
                (values == value).to_numpy(),
                everyone,
            )
    upstream = _upstream_lots(ledger, ops)
    for lot_id in sorted(set().union(*upstream)) if upstream else []:
        exposure = np.fromiter((lot_id in lots for lots in upstream), bool, len(upstream))
        add(f"supplier_lot:{lot_id}", "supplier_lot", lot_id, exposure, everyone)
    supplier_of = {lot.lot_id: lot.supplier_id for lot in ledger.lots.values() if lot.supplier_id}
    suppliers = [frozenset(supplier_of[x] for x in lots if x in supplier_of) for lots in upstream]
    for supplier in sorted(set().union(*suppliers)) if suppliers else []:
        exposure = np.fromiter((supplier in s for s in suppliers), bool, len(suppliers))
        add(f"supplier:{supplier}", "supplier", supplier, exposure, everyone)
    for column in sorted(c for c in ops.columns if c.startswith("param:")):
        name = column.split(":", 1)[1]
        values = ops[column].to_numpy(dtype=float)
        known = np.isfinite(values)
        if known.sum() < 10:
            continue
        for q in quantiles:
            cut = float(np.quantile(values[known], q))
            if q >= 0.5:
                add(
                    f"param_high:{name}>={cut:.4g}",
                    "param_high",
                    name,
                    known & (values >= cut),
                    known,
                    parameter=name,
                    threshold=cut,
                )
            else:
                add(
                    f"param_low:{name}<={cut:.4g}",
                    "param_low",
                    name,
                    known & (values <= cut),
                    known,
                    parameter=name,
                    threshold=cut,
                )
        if spec_limits:
            limits = [spec_limits.get((m, name), (-np.inf, np.inf)) for m in ops["material_id"]]
            lsl = np.array([lo for lo, _ in limits], dtype=float)
            usl = np.array([hi for _, hi in limits], dtype=float)
            out_of_spec = known & ((values < lsl) | (values > usl))
            add(f"param_out:{name}", "param_out", name, out_of_spec, known, parameter=name)
    return Observations(signal, ops, units, defects, candidates)


def spec_limits_from_plant(plant: PlantDefinition) -> dict[tuple[str, str], tuple[float, float]]:
    """Specification limits (lsl, usl) per (material, parameter) from the plant's routings."""
    return {key: (lsl, usl) for key, (lsl, _, usl) in parameter_specs_from_plant(plant).items()}


def parameter_specs_from_plant(plant: PlantDefinition) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(lsl, target, usl) per (material, parameter) from the plant's routings."""
    return {
        (routing.material_id, p.name): (p.lsl, p.target, p.usl)
        for routing in plant.routings
        for op in routing.operations
        for p in op.parameters
    }
