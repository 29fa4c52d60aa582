"""The "explain this defect" report: a root-cause result in words, numbers and links to the raw data.

:func:`explain_defect` takes the ledger and a :class:`~plantloop.optimize.quality.root_cause.RootCauseResult`
and returns a JSON-able report: the signal and its population, a one-sentence summary, and for each of the
top causes its evidence (rates, rate ratio with interval, excess defects, p / q values, locus), example
operations with their lots, machines and parameters, links into the API (events of an operation, lot
genealogy, the trace of a lot) and, for a process-parameter cause, the parameter's I-MR chart on its locus.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plantloop.optimize.quality.errors import InsufficientData
from plantloop.optimize.quality.ledger import QualityLedger
from plantloop.optimize.quality.root_cause import CauseEvidence, RootCauseResult
from plantloop.optimize.quality.spc import imr_chart

KIND_WORDS = {
    "supplier_lot": "supplier lot",
    "supplier": "supplier",
    "equipment": "machine",
    "work_center": "work center",
    "operator": "operator",
    "shift": "shift",
    "param_high": "high",
    "param_low": "low",
    "param_out": "out of specification:",
}


def describe_cause(cause: CauseEvidence) -> str:
    if cause.kind in ("param_high", "param_low"):
        sign = ">=" if cause.kind == "param_high" else "<="
        where = f" (on {cause.locus})" if cause.locus and cause.locus_share >= 0.8 else ""
        return f"{cause.parameter} {sign} {cause.threshold:.4g}{where}"
    if cause.kind == "param_out":
        where = f" (on {cause.locus})" if cause.locus and cause.locus_share >= 0.8 else ""
        return f"{cause.parameter} out of specification{where}"
    return f"{KIND_WORDS.get(cause.kind, cause.kind)} {cause.value}"


def _links(api_base: str, operation_id: str, lot_id: str) -> dict[str, str]:
    return {
        "operation_events": f"{api_base}/events?subject={operation_id}",
        "lot_genealogy": f"{api_base}/lots/{lot_id}/genealogy",
        "lot_trace": f"{api_base}/quality/trace/{lot_id}?direction=backward",
    }


def _examples(ledger: QualityLedger, cause: CauseEvidence, api_base: str, limit: int) -> list[dict[str, Any]]:
    out = []
    for operation_id in cause.exposed_operations[:limit]:
        op = ledger.operations.get(operation_id)
        if op is None:
            continue
        out.append(
            {
                "operation_id": op.operation_id,
                "lot_id": op.lot_id,
                "material_id": op.material_id,
                "equipment_id": op.equipment_id,
                "operator_id": op.operator_id,
                "shift_id": op.shift_id,
                "started_at": op.started_at.isoformat() if op.started_at else None,
                "completed_at": op.completed_at.isoformat() if op.completed_at else None,
                "qty_good": op.qty_good,
                "qty_scrap": op.qty_scrap,
                "scrap_defect_code": op.scrap_defect_code,
                "parameters": op.parameters,
                "links": _links(api_base, op.operation_id, op.lot_id),
            }
        )
    return out


def _parameter_chart(
    ledger: QualityLedger, cause: CauseEvidence, result: RootCauseResult
) -> dict[str, Any] | None:
    if cause.parameter is None or cause.locus is None:
        return None
    signal = result.signal
    ops = sorted(
        (
            op
            for op in ledger.operations.values()
            if op.equipment_id == cause.locus
            and op.completed_at is not None
            and cause.parameter in op.parameters
            and (signal.end is None or op.completed_at < signal.end)
        ),
        key=lambda o: o.completed_at or 0,
    )
    if len(ops) < 3:
        return None
    values = np.array([op.parameters[cause.parameter] for op in ops])
    try:
        individuals, _ = imr_chart(values, baseline=min(len(values), 20))
    except InsufficientData:
        return None
    chart = individuals.to_dict()
    chart["times"] = [op.completed_at.isoformat() for op in ops if op.completed_at]
    chart["operations"] = [op.operation_id for op in ops]
    chart["equipment_id"], chart["parameter"] = cause.locus, cause.parameter
    return chart


def summary(result: RootCauseResult) -> str:
    what = result.signal.describe()
    if not result.causes:
        return f"{what}: {result.defects:.0f} defects, no candidate cause could be judged"
    significant = result.significant
    if not significant:
        return f"{what}: {result.defects:.0f} defects in {result.units:.0f} units; no cause is significant"
    top = significant[0]
    return (
        f"{what}: {top.share_of_defects:.0%} of the {result.defects:.0f} defects are explained by "
        f"{describe_cause(top)} (rate {top.rate_exposed:.2%} vs {top.rate_unexposed:.2%}, "
        f"ratio {top.rate_ratio:.1f}, q = {top.q_value:.2g})"
    )


def explain_defect(
    ledger: QualityLedger,
    result: RootCauseResult,
    *,
    top: int = 3,
    api_base: str = "/api/v1",
    examples: int = 10,
) -> dict[str, Any]:
    """The report (JSON-able)."""
    signal = result.signal
    causes = []
    for cause in result.top(top):
        entry = cause.to_dict()
        entry["description"] = describe_cause(cause)
        entry["significant"] = cause in result.significant
        entry["examples"] = _examples(ledger, cause, api_base, examples)
        chart = _parameter_chart(ledger, cause, result)
        if chart is not None:
            entry["chart"] = chart
        entry.pop("exposed_operations", None)
        causes.append(entry)
    return {
        "signal": {
            "defect_code": signal.defect_code,
            "start": signal.start.isoformat() if signal.start else None,
            "end": signal.end.isoformat() if signal.end else None,
            "material_id": signal.material_id,
        },
        "population": {
            "operations": result.operations,
            "units": result.units,
            "defects": result.defects,
            "rate": result.rate,
            "dispersion": result.dispersion,
        },
        "summary": summary(result),
        "causes": causes,
        "method": "binomial likelihood-ratio contrast per candidate, greedy explaining-away within the cells "
        "of chosen causes, permutation-calibrated over-dispersion, Benjamini-Hochberg FDR",
    }
