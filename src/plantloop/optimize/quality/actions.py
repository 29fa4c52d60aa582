"""From a root cause to actions on the line, as proposals for the decision layer.

For every cause that the analysis *selected* and whose evidence survives both the false-discovery control
(``q ≤ alpha``) and the permutation test of its selection step (``p_conditional ≤ alpha``: no permutation of
the operations gave any candidate as much evidence), with a rate-ratio interval above 1, at least
``min_excess`` excess defects and defects in at least ``min_defective_operations`` exposed operations (the
twin, like many MES, reports one defect code per completion, so one operation's scrap comes as a clump):

================  ========================================================================================
cause             proposals
================  ========================================================================================
supplier lot      ``lot_hold``: hold the lot (``HoldLot``) — it is not consumed any more — and, when a
                  genealogy tracer is given, the lots made from it that nobody consumed yet (suspect WIP
                  and finished goods, from the forward trace)
machine, or a     ``maintenance_order``: a corrective order to service and recalibrate the machine
parameter range   (``CreateMaintenanceOrder``), planned now
on one machine
anything          ``nonconformance``: the non-conformance record (defect, cause, evidence, affected lots);
                  it carries no MES command yet (the MES has no non-conformance command) — the decision
                  layer records it and notifies the quality engineer
================  ========================================================================================

Every proposal carries the analysis as evidence (the cause's numbers and the report summary).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plantloop.mes.domain.commands import CreateMaintenanceOrder, HoldLot, MaintenanceKind
from plantloop.optimize.proposals import Proposal
from plantloop.optimize.quality.genealogy import GenealogyTracer
from plantloop.optimize.quality.report import describe_cause, summary
from plantloop.optimize.quality.root_cause import CauseEvidence, RootCauseResult

MODEL_VERSION = "rca-contrast-v1"


@dataclass(frozen=True)
class ActionConfig:
    alpha: float = 0.01
    min_excess: float = 5.0
    min_defective_operations: int = 3
    min_locus_share: float = 0.8
    service_duration_s: float = 1800.0
    hold_downstream: bool = True


def actionable(result: RootCauseResult, config: ActionConfig | None = None) -> list[CauseEvidence]:
    cfg = config or ActionConfig()
    return [
        c
        for c in result.causes
        if c.selected
        and c.q_value <= cfg.alpha
        and c.p_conditional <= cfg.alpha
        and c.rate_ratio_ci[0] > 1.0
        and c.excess_defects >= cfg.min_excess
        and c.defective_operations >= cfg.min_defective_operations
    ]


def _evidence(cause: CauseEvidence, result: RootCauseResult) -> dict[str, Any]:
    keep = (
        "key",
        "kind",
        "value",
        "exposed_units",
        "exposed_defects",
        "unexposed_units",
        "unexposed_defects",
        "rate_exposed",
        "rate_unexposed",
        "rate_ratio",
        "excess_defects",
        "share_of_defects",
        "p_value",
        "q_value",
        "locus",
        "locus_share",
        "parameter",
        "threshold",
    )
    out: dict[str, Any] = {k: getattr(cause, k) for k in keep}
    out["rate_ratio_ci"] = list(cause.rate_ratio_ci)
    out["summary"] = summary(result)
    out["signal"] = result.signal.describe()
    out["example_operations"] = cause.exposed_operations[:20]
    return out


def _inputs(result: RootCauseResult) -> tuple[tuple[str, str], ...]:
    day = (result.signal.end or result.signal.start or datetime.min).strftime("%Y-%m-%d")
    return (("dwd_operation_execution", day), ("dwd_inspection", day), ("dwd_material_consumption", day))


def machine_of(cause: CauseEvidence, config: ActionConfig) -> str | None:
    if cause.kind == "equipment":
        return cause.value
    if cause.kind.startswith("param_") and cause.locus and cause.locus_share >= config.min_locus_share:
        return cause.locus
    return None


def propose_actions(
    result: RootCauseResult,
    now: datetime,
    *,
    config: ActionConfig | None = None,
    tracer: GenealogyTracer | None = None,
    held: set[str] | frozenset[str] = frozenset(),
    proposed_by: str = "quality",
) -> list[Proposal]:
    """Hold, maintenance and non-conformance proposals for the actionable causes of ``result`` (lots in
    ``held`` are on hold already and are not proposed again)."""
    cfg = config or ActionConfig()
    out: list[Proposal] = []
    code = result.signal.defect_code or "defects"
    for cause in actionable(result, cfg):
        evidence = _evidence(cause, result)
        words = describe_cause(cause)
        affected: list[str] = []
        lots: list[str] = []
        if cause.kind == "supplier_lot":
            lots = [cause.value]
            if tracer is not None and cfg.hold_downstream and cause.value in tracer.index.lot_index:
                affected = [lot.lot_id for lot in tracer.forward(cause.value).end_lots]
                lots += affected
            lots = [lot for lot in lots if lot not in held]
        if cause.kind == "supplier_lot" and lots:
            out.append(
                Proposal(
                    kind="lot_hold",
                    subject=f"lot:{cause.value}",
                    commands=tuple(
                        HoldLot(at=now, lot_id=lot, reason=f"suspect: {code} traced to {words}")
                        for lot in lots
                    ),
                    title=f"Hold {cause.value} and {len(affected)} lots made from it: {code} traced to it",
                    evidence={**evidence, "held_lots": lots},
                    inputs=_inputs(result),
                    model_version=MODEL_VERSION,
                    proposed_by=proposed_by,
                )
            )
        machine = machine_of(cause, cfg)
        if machine is not None:
            order = f"QLT-{machine}-{now:%Y%m%d%H%M}"
            out.append(
                Proposal(
                    kind="maintenance_order",
                    subject=f"equipment:{machine}",
                    commands=(
                        CreateMaintenanceOrder(
                            at=now,
                            maintenance_order_id=order,
                            equipment_id=machine,
                            kind=MaintenanceKind.CORRECTIVE,
                            reason=f"quality: {code} traced to {words}; service and recalibrate",
                            planned_start_at=now,
                            planned_duration_s=cfg.service_duration_s,
                            details={"purpose": "recalibration", "cause": cause.key},
                            issued_by=proposed_by,
                        ),
                    ),
                    title=f"Service and recalibrate {machine}: {code} traced to {words}",
                    evidence=evidence,
                    inputs=_inputs(result),
                    model_version=MODEL_VERSION,
                    proposed_by=proposed_by,
                )
            )
        out.append(
            Proposal(
                kind="nonconformance",
                subject=f"nc:{code}:{cause.key}",
                commands=(),
                title=f"Non-conformance: {code} traced to {words}",
                evidence={**evidence, "affected_lots": affected, "opened_at": now.isoformat()},
                inputs=_inputs(result),
                model_version=MODEL_VERSION,
                proposed_by=proposed_by,
            )
        )
    return out


def propose_recalibration(
    equipment_id: str,
    parameter: str,
    rule: str,
    description: str,
    chart: dict[str, Any],
    now: datetime,
    *,
    config: ActionConfig | None = None,
    proposed_by: str = "quality",
) -> Proposal:
    """A parameter's control chart on one machine is out of control: service and recalibrate the machine."""
    cfg = config or ActionConfig()
    order = f"SPC-{equipment_id}-{now:%Y%m%d%H%M}"
    reason = f"SPC: {parameter} {description} ({rule})"
    return Proposal(
        kind="maintenance_order",
        subject=f"equipment:{equipment_id}",
        commands=(
            CreateMaintenanceOrder(
                at=now,
                maintenance_order_id=order,
                equipment_id=equipment_id,
                kind=MaintenanceKind.CORRECTIVE,
                reason=reason + "; recalibrate",
                planned_start_at=now,
                planned_duration_s=cfg.service_duration_s,
                details={"purpose": "recalibration", "parameter": parameter, "rule": rule},
                issued_by=proposed_by,
            ),
        ),
        title=f"Recalibrate {equipment_id}: {reason}",
        evidence={"equipment_id": equipment_id, "parameter": parameter, "rule": rule, "chart": chart},
        inputs=(("dwd_operation_execution", now.strftime("%Y-%m-%d")),),
        model_version="spc-imr-v1",
        proposed_by=proposed_by,
    )
