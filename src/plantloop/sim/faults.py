"""Fault injection and its ground truth.

Machine failures: Weibull time between failures over *operating* time (``Reliability.mtbf_h`` is its
mean, ``weibull_shape`` its shape), lognormal repair (median ``mttr_h``, ``mttr_sigma``); the last
``degradation_h`` operating hours of every life are visible in telemetry (see ``telemetry.py``).
Quality root causes: one bad supplier lot, one drifting process parameter on one machine, one shift with
worse quality, one machine with more scrap. Every injected fault is appended to :class:`GroundTruth`.

Maintaining a machine (a preventive, predictive or quality-driven maintenance order — not the repair after a
breakdown, which fixes only what broke) services and calibrates it: a drift on it stops and an elevated
scrap rate ends (:meth:`QualityModel.maintained`); the ground-truth record gets its end time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np

from plantloop.mes.masterdata.schema import Equipment, MaterialKind, PlantDefinition
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.orders import SimOperation
from plantloop.sim.scenario import ScenarioConfig, rng_stream


class FaultType(StrEnum):
    MACHINE_FAILURE = "machine_failure"
    DEGRADATION = "degradation"
    BAD_SUPPLIER_LOT = "bad_supplier_lot"
    PARAMETER_DRIFT = "parameter_drift"
    BAD_SHIFT = "bad_shift"
    SCRAP_MACHINE = "scrap_machine"


@dataclass
class FaultRecord:
    type: FaultType
    target: str
    start_at: datetime
    end_at: datetime | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "target": self.target,
            "start_at": self.start_at.isoformat(),
            "end_at": self.end_at.isoformat() if self.end_at else None,
            "details": self.details,
        }


@dataclass
class DirtyRecord:
    """One dirty item in the connector stream: what was done to which event."""

    kind: str
    event_id: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroundTruth:
    faults: list[FaultRecord] = field(default_factory=list)
    dirty: list[DirtyRecord] = field(default_factory=list)


# ---- machine failures -------------------------------------------------------------------------------
@dataclass
class Life:
    """One life of a piece of equipment between renewals, in cumulative operating seconds ``op``."""

    start_s: float
    op_start: float
    fail_op: float
    degradation_op: float
    degradation_started_s: float | None = None
    end_s: float | None = None


class FailureModel:
    """Samples lives and repairs of one piece of equipment from its own random stream."""

    def __init__(self, equipment: Equipment, config: ScenarioConfig) -> None:
        rel = equipment.reliability
        self._enabled = config.faults.machine_failures
        self._shape = rel.weibull_shape
        mean_s = rel.mtbf_h * 3600.0 / config.faults.failure_rate_factor
        self._scale_s = mean_s / math.gamma(1.0 + 1.0 / rel.weibull_shape)
        self._mttr_s = rel.mttr_h * 3600.0
        self._sigma = rel.mttr_sigma
        self.degradation_s = rel.degradation_h * 3600.0
        self.mtbf_s = mean_s
        self._rng = rng_stream(config.seed, f"fail:{equipment.id}")

    def new_life(self, now_s: float, op_total: float) -> Life:
        ttf = float(self._scale_s * self._rng.weibull(self._shape)) if self._enabled else math.inf
        fail_op = op_total + ttf
        return Life(now_s, op_total, fail_op, max(op_total, fail_op - self.degradation_s))

    def repair_s(self) -> float:
        return float(self._mttr_s * math.exp(self._sigma * self._rng.standard_normal()))


# ---- quality ---------------------------------------------------------------------------------------
_DEFECT_BY_MATERIAL_PREFIX = {"CP-MOTOR": "D-NOISE", "RM-SS": "D-LEAK", "RM-": "D-CRACK", "CP-": "D-ELEC"}


#: Scrap causes in the order a unit hit by several is attributed (assignable causes before the base rate).
CAUSE_ORDER = ("lot", "drift", "machine", "shift", "base")


@dataclass(frozen=True)
class QualityOutcome:
    qty_scrap: int
    defect_code: str | None
    parameters: dict[str, float]
    qty_inspected: int
    qty_defective: int
    #: scrapped units per cause (ground truth)
    scrap_by_cause: dict[str, int] = field(default_factory=dict)

    @property
    def cause(self) -> str | None:
        """The cause of most of the scrap (its defect code is the one reported); a tie goes to the first in
        ``CAUSE_ORDER``."""
        if not self.scrap_by_cause:
            return None
        return max(CAUSE_ORDER, key=lambda c: self.scrap_by_cause.get(c, 0))


class QualityModel:
    """Chooses the quality root causes of a run (seeded) and draws each operation's outcome."""

    def __init__(self, plant: PlantDefinition, config: ScenarioConfig, calendar: SimCalendar) -> None:
        f = config.faults
        pick = rng_stream(config.seed, "quality-plan")
        self._seed = config.seed
        self._f = f
        self._calendar = calendar
        codes = [d.code for d in plant.defect_codes] or ["DEFECT"]
        self._codes = codes
        consumed = sorted(
            {
                c.material_id
                for r in plant.routings
                for op in r.operations
                for c in op.consumes
                if plant.materials_by_id[c.material_id].kind is MaterialKind.PURCHASED
            }
        )
        param_equipment = sorted(
            {
                eq.id
                for r in plant.routings
                for op in r.operations
                if op.parameters
                for eq in plant.work_centers[op.work_center_ids[0]].equipment
            }
        )
        all_equipment = sorted(plant.equipment)
        self.bad_lot_material = (
            (f.bad_lot_material_id or str(pick.choice(consumed))) if f.bad_supplier_lot else None
        )
        self.bad_lot_index = int(pick.integers(2, 5))  # the n-th lot received of that material
        self.drift_equipment = (
            (f.drift_equipment_id or str(pick.choice(param_equipment))) if f.parameter_drift else None
        )
        drift_wcs = {
            wc.id
            for wc in plant.work_centers.values()
            if any(e.id == self.drift_equipment for e in wc.equipment)
        }
        self.drift_parameters = sorted(
            {
                p.name
                for r in plant.routings
                for op in r.operations
                if set(op.work_center_ids) & drift_wcs
                for p in op.parameters
            }
        )
        frac = f.drift_start_fraction if f.drift_start_fraction is not None else float(pick.uniform(0.1, 0.4))
        self.drift_start_s = frac * config.horizon_s
        self.drift_end_s = self.drift_start_s + f.drift_duration_h * 3600.0
        self.drift_ramp_s = f.drift_ramp_h * 3600.0
        shifts = [s.id for s in plant.calendar.shifts]
        self.bad_shift = (f.bad_shift_id or str(pick.choice(shifts))) if f.bad_shift else None
        self.scrap_equipment = (
            (f.scrap_equipment_id or str(pick.choice(all_equipment))) if f.scrap_machine else None
        )
        self._lots_received: dict[str, int] = {}
        self._records: dict[FaultType, FaultRecord] = {}

    def maintained(self, equipment_id: str, t: float) -> list[FaultRecord]:
        """Service and calibration of ``equipment_id`` at ``t``: end its drift and its elevated scrap."""
        ended = []
        if equipment_id == self.drift_equipment and self.drift_start_s <= t < self.drift_end_s:
            self.drift_end_s = t
            ended.append(self._close(FaultType.PARAMETER_DRIFT, t))
        if equipment_id == self.scrap_equipment:
            self.scrap_equipment = None
            ended.append(self._close(FaultType.SCRAP_MACHINE, t))
        return [r for r in ended if r is not None]

    def _close(self, kind: FaultType, t: float) -> FaultRecord | None:
        record = self._records.get(kind)
        if record is not None:
            record.end_at = self._calendar.at(t)
            record.details["ended_by"] = "maintenance"
        return record

    def ground_truth(self, horizon_s: float) -> list[FaultRecord]:
        """The standing causes known at the start (the bad lot is recorded when it is received)."""
        out = self._standing(horizon_s)
        self._records = {r.type: r for r in out}
        return out

    def _standing(self, horizon_s: float) -> list[FaultRecord]:
        cal, f = self._calendar, self._f
        out: list[FaultRecord] = []
        if self.drift_equipment and self.drift_start_s < horizon_s:
            out.append(
                FaultRecord(
                    FaultType.PARAMETER_DRIFT,
                    self.drift_equipment,
                    cal.at(self.drift_start_s),
                    cal.at(self.drift_end_s),
                    {
                        "parameters": self.drift_parameters,
                        "ramp_h": f.drift_ramp_h,
                        "defect_p_out_of_spec": f.drift_defect_p,
                        "defect_code": "D-DIM",
                    },
                )
            )
        if self.bad_shift:
            out.append(
                FaultRecord(
                    FaultType.BAD_SHIFT,
                    self.bad_shift,
                    cal.at(0),
                    cal.at(horizon_s),
                    {"extra_defect_p": f.bad_shift_defect_p, "defect_code": "D-COSM"},
                )
            )
        if self.scrap_equipment:
            out.append(
                FaultRecord(
                    FaultType.SCRAP_MACHINE,
                    self.scrap_equipment,
                    cal.at(0),
                    cal.at(horizon_s),
                    {"defect_p_factor": f.scrap_machine_factor, "defect_code": "D-CRACK"},
                )
            )
        return out

    def is_bad_lot(self, material_id: str) -> bool:
        """Call once per received lot, in receipt order."""
        n = self._lots_received.get(material_id, 0) + 1
        self._lots_received[material_id] = n
        return material_id == self.bad_lot_material and n == self.bad_lot_index

    def bad_lot_defect_code(self, material_id: str) -> str:
        for prefix, code in _DEFECT_BY_MATERIAL_PREFIX.items():
            if material_id.startswith(prefix) and code in self._codes:
                return code
        return self._codes[0]

    def drift_offset(self, equipment_id: str, t: float, half_width: float) -> float:
        if equipment_id != self.drift_equipment or not self.drift_start_s <= t < self.drift_end_s:
            return 0.0
        return (t - self.drift_start_s) / self.drift_ramp_s * half_width

    def _stream(self, op: SimOperation, purpose: str) -> np.random.Generator:
        return rng_stream(self._seed, f"quality:{op.id}:{purpose}")

    def outcome(self, op: SimOperation, equipment_id: str, start_s: float, end_s: float) -> QualityOutcome:
        """Each unit of ``op`` fails independently from each active cause. The random numbers are drawn
        per operation, cause and unit (common random numbers): the same operation of the same seed meets
        the same luck under every policy, so two policies' scrap differs by what they changed — which
        causes were active — and not by a reshuffled draw. A unit hit by several causes is scrapped once,
        attributed to the first of them in ``CAUSE_ORDER``; inspection samples the operation's first units."""
        f = self._f
        causes: dict[str, tuple[float, str]] = {}
        on_scrap_machine = equipment_id == self.scrap_equipment
        base = f.base_defect_p * (f.scrap_machine_factor if on_scrap_machine else 1.0)
        causes["machine" if on_scrap_machine else "base"] = (
            base,
            "D-CRACK" if on_scrap_machine else str(self._stream(op, "code").choice(self._codes)),
        )
        params: dict[str, float] = {}
        mid_s = (start_s + end_s) / 2
        out_of_spec = False
        noise = self._stream(op, "parameters")
        for p in op.spec.parameters:
            half = max(p.usl - p.target, 1e-9)
            mean = (
                p.target
                + self.drift_offset(equipment_id, mid_s, half)
                + noise.normal(0, (p.usl - p.lsl) / 12)
            )
            params[p.name] = round(float(mean), 3)
            out_of_spec = out_of_spec or not p.lsl <= mean <= p.usl
        if out_of_spec:
            causes["drift"] = (f.drift_defect_p, "D-DIM")
        if self.bad_shift and self._calendar.shift_at(start_s) == self.bad_shift:
            causes["shift"] = (f.bad_shift_defect_p, "D-COSM")
        tainted = op.work_order.tainted_by
        if tainted:
            causes["lot"] = (f.bad_lot_defect_p, self.bad_lot_defect_code(tainted))
        qty = max(int(op.qty_in), 0)
        hit_by = np.full(qty, -1, dtype=np.int8)  # index into CAUSE_ORDER of the cause that scraps each unit
        for i, name in enumerate(CAUSE_ORDER):
            if name in causes and qty:
                hits = (self._stream(op, name).random(qty) < causes[name][0]) & (hit_by < 0)
                hit_by[hits] = i
        scrapped = hit_by >= 0
        scrap = int(scrapped.sum())
        n_insp = min(qty, 20) if op.spec.inspection else 0
        defective = int(scrapped[:n_insp].sum())
        counts = np.bincount(hit_by[scrapped], minlength=len(CAUSE_ORDER)) if scrap else None
        by_cause = {CAUSE_ORDER[i]: int(n) for i, n in enumerate(counts) if n} if counts is not None else {}
        outcome = QualityOutcome(scrap, None, params, n_insp, defective, by_cause)
        # one defect code per completion (as the MES records it): the cause with the biggest share
        return replace(outcome, defect_code=causes[outcome.cause][1]) if outcome.cause else outcome
