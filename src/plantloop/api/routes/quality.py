"""Quality routes: trace lots, explain defects (root cause), control charts, and proposed actions.

The routes read one :class:`~plantloop.optimize.quality.service.QualityService` per app (``app.state``),
built on first use over the container's MES outbox and kept current by it. Proposed actions go to the
decision layer (``container.decisions``), which records, approves by configuration and publishes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from plantloop.api.deps import ContainerDep, CurrentUser, ScopeDep, require
from plantloop.api.scope import LineResolver, OutOfScope, visible
from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.errors import NotFound
from plantloop.optimize.quality.genealogy import BackwardTrace
from plantloop.optimize.quality.rca_data import DefectSignal
from plantloop.optimize.quality.service import QualityService

router = APIRouter(prefix="/quality", tags=["quality"])


def get_quality(request: Request, container: ContainerDep) -> QualityService:
    service: QualityService | None = getattr(request.app.state, "quality", None)
    if service is None:
        service = request.app.state.quality = QualityService.from_container(container)
    return service


QualityDep = Annotated[QualityService, Depends(get_quality)]


class DefectSignalIn(BaseModel):
    defect_code: str | None = Field(default=None, description="Defect code; empty: any defect.")
    start: datetime | None = Field(default=None, description="Window start (UTC); empty: from the beginning.")
    end: datetime | None = Field(default=None, description="Window end (UTC, exclusive); empty: until now.")
    material_id: str | None = Field(default=None, description="Product; empty: every product.")
    top: int = Field(default=3, ge=1, le=20, description="How many causes the report details.")

    def signal(self) -> DefectSignal:
        return DefectSignal(
            self.defect_code,
            ensure_utc(self.start) if self.start else None,
            ensure_utc(self.end) if self.end else None,
            self.material_id,
        )


class ProposeIn(DefectSignalIn):
    submit: bool = Field(default=False, description="Send the proposals to the decision layer.")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _whole_plant(scope: frozenset[str] | None, what: str) -> None:
    """Analyses over the whole plant's history are for plant-wide users: a line-scoped user would see
    (and act on) other lines through their causes."""
    if scope is not None:
        raise OutOfScope(
            f"{what} spans the whole plant; your scope is line {', '.join(sorted(scope))}",
            lines=sorted(scope),
        )


@router.get("/trace/{lot_id}", dependencies=[require("read")])
def trace_lot(
    lot_id: str,
    quality: QualityDep,
    container: ContainerDep,
    scope: ScopeDep,
    direction: Literal["backward", "forward"] = "backward",
    max_depth: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Backward: every component lot, supplier, operation, machine, operator, shift and parameter of a lot.
    Forward: every lot it went into, the end lots and their shipments. A line-scoped user traces the lots
    of their lines (the trace follows the material wherever it went, as a recall must)."""
    if not visible(LineResolver(container.queries).of_lot_id(lot_id), scope):
        raise NotFound(f"lot {lot_id} not found", lot_id=lot_id)
    trace = quality.trace(lot_id, direction, max_depth)
    out = trace.to_dict()
    out["direction"] = "backward" if isinstance(trace, BackwardTrace) else "forward"
    return dict(_jsonable(out))


@router.post("/root-cause", dependencies=[require("read")])
def explain_defect(
    body: DefectSignalIn, quality: QualityDep, request: Request, scope: ScopeDep
) -> dict[str, Any]:
    """Explain a defect: candidate causes ranked by evidence, with links to the raw data."""
    _whole_plant(scope, "root-cause analysis")
    api_base = request.url.path.rsplit("/quality/", 1)[0]
    return dict(_jsonable(quality.explain(body.signal(), top=body.top, api_base=api_base)))


@router.post("/root-cause/actions", dependencies=[require("quality")])
def propose_actions(
    body: ProposeIn, quality: QualityDep, container: ContainerDep, user: CurrentUser
) -> dict[str, Any]:
    """Holds, services and non-conformances for the actionable causes (``submit``: proposed as decisions)."""
    _whole_plant(user.lines, "root-cause analysis")
    now = container.clock.now()
    proposals = quality.propose(body.signal(), now)
    decisions = []
    if body.submit:
        for proposal in proposals:
            kwargs = proposal.as_kwargs()
            kwargs["proposed_by"] = f"{proposal.proposed_by}:{user.username}"
            decision = container.decisions.propose(**kwargs)
            decisions.append(
                {"id": decision.id, "version": decision.version, "status": decision.status.value}
            )
    return {
        "proposals": [
            {
                "kind": p.kind,
                "subject": p.subject,
                "title": p.title,
                "commands": [{"type": type(c).__name__, **c.model_dump(mode="json")} for c in p.commands],
                "evidence": _jsonable(p.evidence),
            }
            for p in proposals
        ],
        "decisions": decisions,
    }


@router.get("/spc/parameters/{equipment_id}", dependencies=[require("read")])
def parameter_chart(
    quality: QualityDep,
    container: ContainerDep,
    scope: ScopeDep,
    equipment_id: str,
    parameter: str,
    baseline: Annotated[int, Query(ge=3, le=1000)] = 20,
) -> dict[str, Any]:
    """I-MR and EWMA charts of a process parameter on one machine, with Western Electric violations."""
    if not visible(LineResolver(container.queries).of_place(equipment_id), scope):
        raise OutOfScope(f"{equipment_id} is outside your scope", equipment_id=equipment_id)
    return quality.parameter_chart(equipment_id, parameter, baseline=baseline)


@router.get("/spc/defects", dependencies=[require("read")])
def defect_chart(
    quality: QualityDep,
    container: ContainerDep,
    scope: ScopeDep,
    defect_code: str | None = None,
    start: datetime | None = None,
) -> dict[str, Any]:
    """p chart of the fraction scrapped with a defect code, per completed operation (of the caller's
    lines)."""
    work_centers = None
    if scope is not None:
        work_centers = {wc for wc, line in container.plant.line_of.items() if line in scope}
    return quality.defect_chart(defect_code, ensure_utc(start) if start else None, work_centers=work_centers)
