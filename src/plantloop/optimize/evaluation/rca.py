"""Root-cause analysis accuracy over plant-twin scenarios with injected ground truth.

A data folder holds ``*.yaml`` scenario files (``defaults`` + a list of ``scenarios``; see
``scenarios/rca/scenarios.yaml``). Each scenario names a plant (``reference`` or a plant file relative to
the scenario file), a seed, the number of days, the quality fault type injected (``bad_supplier_lot``,
``parameter_drift``, ``scrap_machine``, ``bad_shift``, or ``all`` four at once) whose targets the seed
chooses, and optionally ``fault_config`` overrides of the fault strengths. For each scenario:

1. the twin runs (first-in first-out dispatch, machine failures on, the other quality faults off) and
   everything its shop floor reported to the MES is folded into a quality ledger;
2. the defect signal: with one fault, **from the data alone** — the defect code reported most often in the
   run, over the whole run, for every product (no label is looked at); with ``all`` faults, one case per
   fault, asked about the defect code of its symptom (what an engineer would ask: "why D-DIM?");
3. the root-cause analysis ranks the candidates; only now the ground truth is read to score the rank of the
   injected cause (a supplier lot, a machine, a machine whose parameter drifted — named by a machine or by a
   parameter range concentrated on it — or a shift). When k injected causes share the signal's defect
   code, a case counts as top-1 if its cause is among the first k (each is a right answer).

A fault that did not act (a bad lot nobody consumed) is reported and not scored. The metric is top-1
accuracy; top-3 accuracy and the per-type breakdown are extras.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from plantloop.mes.masterdata import load_reference_plant
from plantloop.mes.masterdata.loader import load_plant
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.evaluation.result import DatasetFormatError, EvaluationResult
from plantloop.optimize.quality.feeds import apply_command
from plantloop.optimize.quality.ledger import QualityLedger
from plantloop.optimize.quality.rca_data import (
    DefectSignal,
    Observations,
    build_observations,
    spec_limits_from_plant,
)
from plantloop.optimize.quality.root_cause import CauseEvidence, RootCauseResult, rank_causes

FAULT_TYPES = ("bad_supplier_lot", "parameter_drift", "scrap_machine", "bad_shift")
ALL = "all"
DEFAULT_FOLDER = Path(__file__).parent / "scenarios" / "rca"


@dataclass(frozen=True)
class Scenario:
    name: str
    plant: str
    seed: int
    days: float
    fault: str
    base: Path
    fault_config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseResult:
    scenario: str
    fault: str
    target: str
    signal: str | None
    rank: int | None
    top: list[str]
    evaluable: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_scenarios(path: Path) -> list[Scenario]:
    """Scenarios from every ``*.yaml`` directly in ``path`` (or from one file)."""
    files = [path] if path.is_file() else sorted(path.glob("*.yaml")) if path.is_dir() else []
    if not files:
        raise DatasetFormatError("rca", str(path), "no scenario *.yaml files")
    out: list[Scenario] = []
    for file in files:
        try:
            doc = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise DatasetFormatError("rca", str(file), f"not YAML ({exc})") from exc
        defaults = doc.get("defaults") or {}
        for i, raw in enumerate(doc.get("scenarios") or []):
            entry = {**defaults, **raw}
            fault = entry.get("fault")
            if fault not in (*FAULT_TYPES, ALL):
                raise DatasetFormatError(
                    "rca", str(file), f"scenario {i}: fault must be one of {FAULT_TYPES} or {ALL}"
                )
            out.append(
                Scenario(
                    name=str(entry.get("name", f"{file.stem}-{i}")),
                    plant=str(entry.get("plant", "reference")),
                    seed=int(entry.get("seed", i)),
                    days=float(entry.get("days", 7)),
                    fault=fault,
                    base=file.parent,
                    fault_config=dict(entry.get("fault_config") or {}),
                )
            )
    if not out:
        raise DatasetFormatError("rca", str(path), "the scenario files list no scenarios")
    return out


def _plant(scenario: Scenario) -> tuple[PlantDefinition, Path | None]:
    if scenario.plant == "reference":
        return load_reference_plant(), None
    file = (scenario.base / scenario.plant).resolve()
    if not file.is_file():
        raise DatasetFormatError("rca", str(file), f"plant file of scenario {scenario.name} not found")
    return load_plant(file), file


def _matches(cause: CauseEvidence, fault: str, target: str) -> bool:
    if fault == "bad_supplier_lot":
        return cause.kind == "supplier_lot" and cause.value == target
    if fault == "bad_shift":
        return cause.kind == "shift" and cause.value == target
    if cause.kind == "equipment" and cause.value == target:
        return True
    if fault == "parameter_drift" and cause.kind.startswith("param_"):
        return cause.locus == target and cause.locus_share >= 0.8
    return False


def _simulate(scenario: Scenario) -> tuple[QualityLedger, list[Any], DefectWindow, PlantDefinition]:
    from plantloop.dataplatform.live.shifts import shift_at
    from plantloop.sim.gateway import RecordingGateway
    from plantloop.sim.run import run_simulation
    from plantloop.sim.scenario import FaultConfig
    from plantloop.sim.scenario import scenario as make_scenario

    plant, plant_file = _plant(scenario)
    flags = {f: scenario.fault in (f, ALL) for f in FAULT_TYPES}
    try:
        faults = FaultConfig(**{**flags, **scenario.fault_config})
    except ValueError as exc:
        raise DatasetFormatError("rca", str(scenario.base), f"scenario {scenario.name}: {exc}") from exc
    config = make_scenario(
        "default",
        seed=scenario.seed,
        days=scenario.days,
        telemetry_hz=0,
        plant_file=plant_file,
        keep_shop_floor_events=False,
        faults=faults,
    )
    gateway = RecordingGateway(plant, keep_commands=True)
    result = run_simulation(config, gateway, plant=plant)

    def shift_of(at: datetime) -> str | None:
        instance = shift_at(plant, at)
        return instance.shift_id if instance else None

    ledger = QualityLedger(
        shift_of, {e.id: wc.id for wc in plant.work_centers.values() for e in wc.equipment}
    )
    for command in gateway.commands:
        if command.at is not None:
            apply_command(ledger, command, command.at)
    truth = [f for f in result.ground_truth.faults if f.type.value in FAULT_TYPES]
    return ledger, truth, (config.start_at, result.plant.calendar.at(config.horizon_s)), plant


DefectWindow = tuple[datetime, datetime]


def _most_frequent_code(ledger: QualityLedger) -> str | None:
    counts: Counter[str] = Counter()
    for op in ledger.operations.values():
        if op.scrap_defect_code and op.qty_scrap:
            counts[op.scrap_defect_code] += op.qty_scrap
    for inspection in ledger.inspections.values():
        if inspection.defect_code and inspection.qty_defective:
            counts[inspection.defect_code] += inspection.qty_defective
    return counts.most_common(1)[0][0] if counts else None


#: Ranks the candidates of an analysis: the plantloop analysis, or a baseline for comparison.
Ranker = Callable[[Observations, int], RootCauseResult]


def analysis_ranker(observations: Observations, seed: int) -> RootCauseResult:
    return rank_causes(observations, permutations=400, seed=seed)


def rate_ratio_ranker(observations: Observations, seed: int) -> RootCauseResult:
    """Baseline: plain commonality analysis — candidates by the ratio of exposed to unexposed defect rate
    (no explaining-away, no dispersion), ties by excess defects."""
    result = rank_causes(observations, permutations=20, seed=seed, max_causes=0)
    order = sorted(result.causes, key=lambda c: (-c.rate_ratio, -c.excess_defects, c.key))
    return replace(result, causes=[replace(c, rank=i) for i, c in enumerate(order, start=1)])


def run_cases(scenario: Scenario, *, ranker: Ranker = analysis_ranker) -> list[CaseResult]:
    """Simulate one scenario and score the analysis of each injected fault's defect signal."""
    ledger, truth, (start, end), plant = _simulate(scenario)
    acting = [
        f
        for f in truth
        if not (f.type.value == "bad_supplier_lot" and not f.details.get("consumed_by_operations"))
    ]
    cases = [
        CaseResult(scenario.name, f.type.value, f.target, None, None, [], False, "the fault did not act")
        for f in truth
        if f not in acting
    ]
    limits = spec_limits_from_plant(plant)
    analysed: dict[str, RootCauseResult] = {}
    for fault in acting:
        code = _most_frequent_code(ledger) if scenario.fault != ALL else fault.details.get("defect_code")
        if code is None:
            cases.append(
                CaseResult(scenario.name, fault.type.value, fault.target, None, None, [], False, "no defects")
            )
            continue
        if code not in analysed:
            observations = build_observations(ledger, DefectSignal(code, start, end), spec_limits=limits)
            analysed[code] = ranker(observations, scenario.seed)
        ranked = analysed[code]
        sharing = (
            sum(1 for f in acting if f.details.get("defect_code") == code) if scenario.fault == ALL else 1
        )
        rank = next((c.rank for c in ranked.causes if _matches(c, fault.type.value, fault.target)), None)
        effective = None if rank is None else max(1, rank - (sharing - 1))
        cases.append(
            CaseResult(
                scenario.name,
                fault.type.value,
                fault.target,
                code,
                effective,
                [c.key for c in ranked.top(3)],
                True,
                f"{sharing} injected causes share {code}" if sharing > 1 else "",
            )
        )
    return cases


Progress = Callable[[int, int, list[CaseResult]], None]


def evaluate(
    path: Path = DEFAULT_FOLDER,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    ranker: Ranker = analysis_ranker,
) -> EvaluationResult:
    """Top-1 accuracy (and top-3, per fault type) over the scenarios in ``path``."""
    scenarios = load_scenarios(Path(path))[:limit]
    cases: list[CaseResult] = []
    for i, scenario in enumerate(scenarios, start=1):
        done = run_cases(scenario, ranker=ranker)
        cases += done
        if progress is not None:
            progress(i, len(scenarios), done)
    scored = [c for c in cases if c.evaluable]
    if not scored:
        raise DatasetFormatError("rca", str(path), "no scenario produced an evaluable fault")
    top1 = sum(1 for c in scored if c.rank == 1) / len(scored)
    top3 = sum(1 for c in scored if c.rank is not None and c.rank <= 3) / len(scored)
    by_type: dict[str, dict[str, float]] = {}
    for fault in FAULT_TYPES:
        mine = [c for c in scored if c.fault == fault]
        if mine:
            by_type[fault] = {
                "cases": len(mine),
                "top1": round(sum(c.rank == 1 for c in mine) / len(mine), 4),
                "top3": round(sum(c.rank is not None and c.rank <= 3 for c in mine) / len(mine), 4),
            }
    return EvaluationResult(
        task="rca",
        metric="top1_accuracy",
        value=round(top1, 4),
        extras={
            "top3_accuracy": round(top3, 4),
            "cases": len(scored),
            "scenarios": len(scenarios),
            "not_evaluable": [f"{c.scenario}:{c.fault}" for c in cases if not c.evaluable],
            "plants": sorted({s.plant for s in scenarios}),
            "by_fault": by_type,
            "misses": [c.to_dict() for c in scored if c.rank != 1],
            "protocol": "twin runs with injected quality faults; signal = the run's most frequent defect "
            "code (one fault) or the fault's symptom code (all faults); rank of the injected cause",
        },
    )


def evaluate_baseline(path: Path = DEFAULT_FOLDER, *, limit: int | None = None) -> EvaluationResult:
    """The same scenarios ranked by plain commonality analysis (see :func:`rate_ratio_ranker`)."""
    return evaluate(path, limit=limit, ranker=rate_ratio_ranker)
