"""Decisions: what the optimizers proposed, what waits for approval, what the MES answered — and the audit
log behind it. Approving and rejecting go through the decision service, which checks the approval policy's
roles for the decision's kind (on top of the ``approve`` permission every approver needs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from plantloop.api.deps import ContainerDep, CurrentUser, ScopeDep, require
from plantloop.api.scope import LineResolver, commands_in_scope
from plantloop.loop import DecisionKind, DecisionStatus
from plantloop.loop.errors import UnknownDecision

router = APIRouter(prefix="/decisions", tags=["decisions"])
audit_router = APIRouter(prefix="/audit", tags=["audit"])


class ApproveIn(BaseModel):
    note: str = Field(default="", max_length=2000)
    override_dq: bool = Field(
        default=False, description="Act although the decision's input partitions failed data-quality checks."
    )


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("", dependencies=[require("read")])
def list_decisions(
    container: ContainerDep,
    scope: ScopeDep,
    kind: DecisionKind | None = None,
    status: DecisionStatus | None = None,
    subject: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Decisions, newest first, filtered by kind, status and subject (within your lines)."""
    found = container.decisions.list(kind=kind, status=status, subject=subject, limit=limit)
    lines = LineResolver(container.queries)
    return [d.to_dict() for d in found if commands_in_scope(lines, d.commands, scope)]


def _in_scope(container: Any, decision_id: str, scope: frozenset[str] | None) -> Any:
    """The decision, or UnknownDecision when its commands reach outside the caller's lines."""
    decision = container.decisions.get(decision_id)
    if not commands_in_scope(LineResolver(container.queries), decision.commands, scope):
        raise UnknownDecision(decision_id)
    return decision


@router.get("/{decision_id}", dependencies=[require("read")])
def get_decision(decision_id: str, container: ContainerDep, scope: ScopeDep) -> dict[str, Any]:
    """One decision with its commands, evidence, inputs, DQ verdict, approval and MES acknowledgement."""
    return dict(_in_scope(container, decision_id, scope).to_dict())


@router.post("/{decision_id}/approve", dependencies=[require("approve")])
def approve_decision(
    decision_id: str, body: ApproveIn, container: ContainerDep, user: CurrentUser
) -> dict[str, Any]:
    """Approve a waiting decision and publish it to the MES (the policy names the roles that may)."""
    _in_scope(container, decision_id, user.lines)
    decision = container.decisions.approve(
        decision_id, user.username, user.roles, note=body.note, override_dq=body.override_dq
    )
    return decision.to_dict()


@router.post("/{decision_id}/reject", dependencies=[require("approve")])
def reject_decision(
    decision_id: str, body: RejectIn, container: ContainerDep, user: CurrentUser
) -> dict[str, Any]:
    """Reject a waiting decision; nothing is sent to the MES."""
    _in_scope(container, decision_id, user.lines)
    return container.decisions.reject(decision_id, user.username, user.roles, body.reason).to_dict()


@audit_router.get("", dependencies=[require("admin")])
def audit_entries(
    container: ContainerDep,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="prefix, e.g. decision. or api.")] = None,
    target: Annotated[str | None, Query(description="prefix, e.g. decision:<id> or /api/v1/lots")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """The audit log, newest first (administrators only)."""
    return [
        e.to_dict() for e in container.audit.entries(actor=actor, action=action, target=target, limit=limit)
    ]
