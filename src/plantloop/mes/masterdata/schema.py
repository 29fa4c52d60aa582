"""The plant definition: one validated document describing a plant, aligned with ISA-95.

Hierarchy: enterprise → site → area → line → work center → equipment. A routing operation runs at one of
several alternative work centers; any equipment of that work center can execute it (at its own
``speed_factor``). Setups are sequence dependent by product family. Times are seconds (``*_s``), rates per
hour (``*_per_h``).
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from functools import cached_property
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MaterialKind(StrEnum):
    PURCHASED = "purchased"
    INTERMEDIATE = "intermediate"
    PRODUCT = "product"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Reliability(_Model):
    """Failure model of a piece of equipment: Weibull time between failures, lognormal repair time."""

    mtbf_h: float = Field(gt=0, description="Mean operating hours between failures.")
    weibull_shape: float = Field(default=1.5, gt=0)
    mttr_h: float = Field(gt=0, description="Median repair hours (lognormal).")
    mttr_sigma: float = Field(default=0.5, ge=0)
    degradation_h: float = Field(
        default=24.0, ge=0, description="Hours of visible degradation before a failure."
    )


class TelemetryNominal(_Model):
    temperature_c: float = 45.0
    vibration_mm_s: float = 2.0
    current_a: float = 12.0


class Equipment(_Model):
    id: str = Field(pattern=_ID)
    name: str
    speed_factor: float = Field(default=1.0, gt=0, description=">1 is faster than the routing's standard.")
    reliability: Reliability
    telemetry: TelemetryNominal = TelemetryNominal()


class WorkCenter(_Model):
    id: str = Field(pattern=_ID)
    name: str
    equipment: list[Equipment] = Field(min_length=1)


class Line(_Model):
    id: str = Field(pattern=_ID)
    name: str
    work_centers: list[WorkCenter] = Field(min_length=1)


class Area(_Model):
    id: str = Field(pattern=_ID)
    name: str
    lines: list[Line] = Field(min_length=1)


class Site(_Model):
    id: str = Field(pattern=_ID)
    name: str
    timezone: str = "UTC"
    areas: list[Area] = Field(min_length=1)


class Enterprise(_Model):
    id: str = Field(pattern=_ID)
    name: str


class Shift(_Model):
    id: str = Field(pattern=_ID)
    name: str
    start: time
    end: time = Field(description="May be earlier than start: the shift then ends the next day.")

    @property
    def duration_h(self) -> float:
        start_min = self.start.hour * 60 + self.start.minute
        end_min = self.end.hour * 60 + self.end.minute
        return ((end_min - start_min) % (24 * 60) or 24 * 60) / 60


class ShiftCalendar(_Model):
    id: str = Field(pattern=_ID)
    shifts: list[Shift] = Field(min_length=1)
    working_days: list[Weekday] = Field(min_length=1)


class Skill(_Model):
    id: str = Field(pattern=_ID)
    name: str


class Person(_Model):
    id: str = Field(pattern=_ID)
    name: str
    skills: list[str] = []
    shift_id: str
    line_id: str | None = None


class Supplier(_Model):
    id: str = Field(pattern=_ID)
    name: str
    lead_time_days: float = Field(default=3, ge=0)


class Material(_Model):
    id: str = Field(pattern=_ID)
    name: str
    kind: MaterialKind
    uom: str = "ea"
    supplier_ids: list[str] = []
    family: str | None = Field(default=None, description="Product family, for sequence-dependent setups.")
    lot_size: int = Field(default=500, gt=0, description="Units per purchased lot.")


class BomItem(_Model):
    material_id: str
    qty_per: float = Field(gt=0)


class Bom(_Model):
    """Components of one unit of ``material_id`` (a product or an intermediate)."""

    material_id: str
    items: list[BomItem] = Field(min_length=1)


class ProcessParameter(_Model):
    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$", description="With its unit: 'temperature_c', 'torque_nm'."
    )
    target: float
    lsl: float
    usl: float

    @model_validator(mode="after")
    def _limits(self) -> Self:
        if not self.lsl <= self.target <= self.usl:
            raise ValueError(f"need lsl <= target <= usl, got {self.lsl} <= {self.target} <= {self.usl}")
        return self


class RoutingOperation(_Model):
    seq: int = Field(ge=1)
    name: str
    work_center_ids: list[str] = Field(min_length=1, description="Alternatives; the first is preferred.")
    setup_time_s: float = Field(ge=0, description="Setup when the product family changes.")
    minor_setup_time_s: float = Field(default=0, ge=0, description="Setup when only the product changes.")
    run_time_s_per_unit: float = Field(gt=0)
    handling_time_s: float = Field(
        default=0,
        ge=0,
        description="Machine time per lot besides setup and run (loading, first-piece check, unloading), "
        "whatever the machine's speed; skipped where the machine has just run this step for another "
        "sub-lot of the same order.",
    )
    required_skill_ids: list[str] = []
    consumes: list[BomItem] = Field(default=[], description="BOM components consumed at this operation.")
    parameters: list[ProcessParameter] = []
    inspection: bool = Field(default=False, description="Quality inspection after this operation.")


class Routing(_Model):
    id: str = Field(pattern=_ID)
    material_id: str
    operations: list[RoutingOperation] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_seq(self) -> Self:
        seqs = [op.seq for op in self.operations]
        if len(seqs) != len(set(seqs)) or seqs != sorted(seqs):
            raise ValueError(f"operation seq must be unique and ascending, got {seqs}")
        return self


class DowntimeReason(_Model):
    code: str = Field(pattern=_ID)
    name: str
    planned: bool = False


class DefectCode(_Model):
    code: str = Field(pattern=_ID)
    name: str


class PlantDefinition(_Model):
    """The whole plant. Cross-references are checked by the validator below, with the path of each fault."""

    enterprise: Enterprise
    site: Site
    calendar: ShiftCalendar
    skills: list[Skill] = []
    personnel: list[Person] = []
    suppliers: list[Supplier] = []
    materials: list[Material]
    boms: list[Bom] = []
    routings: list[Routing]
    downtime_reasons: list[DowntimeReason] = []
    defect_codes: list[DefectCode] = []

    # ---- lookups -------------------------------------------------------------------------------
    @cached_property
    def lines(self) -> dict[str, Line]:
        return {ln.id: ln for area in self.site.areas for ln in area.lines}

    @cached_property
    def work_centers(self) -> dict[str, WorkCenter]:
        return {wc.id: wc for ln in self.lines.values() for wc in ln.work_centers}

    @cached_property
    def equipment(self) -> dict[str, Equipment]:
        return {eq.id: eq for wc in self.work_centers.values() for eq in wc.equipment}

    @cached_property
    def materials_by_id(self) -> dict[str, Material]:
        return {m.id: m for m in self.materials}

    @cached_property
    def routings_by_material(self) -> dict[str, Routing]:
        return {r.material_id: r for r in self.routings}

    @cached_property
    def boms_by_material(self) -> dict[str, Bom]:
        return {b.material_id: b for b in self.boms}

    @cached_property
    def products(self) -> list[Material]:
        return [m for m in self.materials if m.kind is MaterialKind.PRODUCT]

    @cached_property
    def equipment_paths(self) -> dict[str, str]:
        """ISA-95 path of every work center and piece of equipment: ``ACME/SZ01/A-FAB/FAB/FAB-MOLD/IM-01``."""
        paths: dict[str, str] = {}
        for area in self.site.areas:
            for ln in area.lines:
                paths[ln.id] = f"{self.enterprise.id}/{self.site.id}/{area.id}/{ln.id}"
                for wc in ln.work_centers:
                    paths[wc.id] = f"{paths[ln.id]}/{wc.id}"
                    for eq in wc.equipment:
                        paths[eq.id] = f"{paths[wc.id]}/{eq.id}"
        return paths

    @cached_property
    def line_of(self) -> dict[str, str]:
        """Line id of every work center and piece of equipment."""
        out: dict[str, str] = {}
        for ln in self.lines.values():
            for wc in ln.work_centers:
                out[wc.id] = ln.id
                for eq in wc.equipment:
                    out[eq.id] = ln.id
        return out

    @cached_property
    def work_center_of(self) -> dict[str, str]:
        return {eq.id: wc.id for wc in self.work_centers.values() for eq in wc.equipment}

    # ---- cross-reference validation ------------------------------------------------------------
    @model_validator(mode="after")
    def _references(self) -> Self:
        problems: list[str] = []
        ids: dict[str, str] = {}
        for kind, items in (
            ("line", list(self.lines)),
            ("work center", list(self.work_centers)),
            ("equipment", [eq.id for wc in self.work_centers.values() for eq in wc.equipment]),
        ):
            for ident in items:
                if ident in ids:
                    problems.append(f"duplicate id {ident!r} ({ids[ident]} and {kind})")
                ids[ident] = kind
        materials = {m.id for m in self.materials}
        if len(materials) != len(self.materials):
            problems.append("duplicate material ids")
        suppliers = {s.id for s in self.suppliers}
        skills = {s.id for s in self.skills}
        shifts = {s.id for s in self.calendar.shifts}
        for i, m in enumerate(self.materials):
            for s in m.supplier_ids:
                if s not in suppliers:
                    problems.append(f"materials[{i}] ({m.id}): unknown supplier {s!r}")
            if m.kind is MaterialKind.PURCHASED and not m.supplier_ids:
                problems.append(f"materials[{i}] ({m.id}): a purchased material needs at least one supplier")
        for i, b in enumerate(self.boms):
            if b.material_id not in materials:
                problems.append(f"boms[{i}]: unknown material {b.material_id!r}")
            for j, item in enumerate(b.items):
                if item.material_id not in materials:
                    problems.append(f"boms[{i}].items[{j}]: unknown material {item.material_id!r}")
        for i, r in enumerate(self.routings):
            if r.material_id not in materials:
                problems.append(f"routings[{i}] ({r.id}): unknown material {r.material_id!r}")
            for j, op in enumerate(r.operations):
                for wc in op.work_center_ids:
                    if wc not in self.work_centers:
                        problems.append(f"routings[{i}].operations[{j}]: unknown work center {wc!r}")
                for sk in op.required_skill_ids:
                    if sk not in skills:
                        problems.append(f"routings[{i}].operations[{j}]: unknown skill {sk!r}")
                for k, item in enumerate(op.consumes):
                    if item.material_id not in materials:
                        where = f"routings[{i}].operations[{j}].consumes[{k}]"
                        problems.append(f"{where}: unknown material {item.material_id!r}")
        for m in self.materials:
            if m.kind is not MaterialKind.PURCHASED and m.id not in {r.material_id for r in self.routings}:
                problems.append(f"material {m.id!r} is {m.kind.value} but has no routing")
        for i, p in enumerate(self.personnel):
            if p.shift_id not in shifts:
                problems.append(f"personnel[{i}] ({p.id}): unknown shift {p.shift_id!r}")
            for sk in p.skills:
                if sk not in skills:
                    problems.append(f"personnel[{i}] ({p.id}): unknown skill {sk!r}")
        cycle = _bom_cycle(self.boms)
        if cycle:
            problems.append(f"BOM cycle: {' -> '.join(cycle)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _bom_cycle(boms: list[Bom]) -> list[str] | None:
    graph = {b.material_id: [i.material_id for i in b.items] for b in boms}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in graph.get(node, []):
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if state.get(child) is None:
                found = visit(child)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in graph:
        if state.get(start) is None:
            found = visit(start)
            if found:
                return found
    return None
