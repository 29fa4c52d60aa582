"""Data-entry form routes: list the forms (localized), submit an entry (validated by the DQ engine, proposed
as a FORM_ENTRY decision waiting for review) and list entries. Reviewing goes through the form route below
(four eyes: not the person who entered it) or the decisions API.

``build_router(get_service)`` is a factory the UI's ``mount`` includes under ``/api/v1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from plantloop.api.deps import ContainerDep, CurrentUser, require
from plantloop.api.scope import LineResolver, OutOfScope, check_command, scoped_queries
from plantloop.api.security import Principal
from plantloop.kernel.errors import PermissionDenied
from plantloop.loop import DecisionStatus
from plantloop.reports.definitions import Lang
from plantloop.reports.forms.definitions import FormDefinition, choices
from plantloop.reports.forms.service import FormService, check_reviewer


class FieldOut(BaseModel):
    name: str
    type: str
    label: str
    required: bool
    default: Any = None
    choices: list[str] | None = None
    lookup: str | None = None


class FormOut(BaseModel):
    id: str
    title: str
    description: str
    permission: str
    fields: list[FieldOut]


class EntryIn(BaseModel):
    values: dict[str, Any] = Field(description="Field name → value (dates as ISO-8601).")


class ReviewIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


def describe(form: FormDefinition, lang: Lang, service: FormService) -> FormOut:
    return FormOut(
        id=form.id,
        title=form.title(lang),
        description=form.description(lang),
        permission=form.permission,
        fields=[
            FieldOut(
                name=f.name,
                type=f.type.value,
                label=f.label(lang),
                required=f.required,
                default=f.default,
                choices=choices(form, f, service.plant) if f.type.value == "choice" else None,
                lookup=f.lookup,
            )
            for f in form.fields
        ],
    )


def build_router(get_service: Callable[..., FormService]) -> APIRouter:
    router = APIRouter(prefix="/forms", tags=["forms"])
    service_dep: Any = Depends(get_service)

    @router.get("", dependencies=[require("read")])
    def list_forms(lang: Lang = Lang.EN, service: FormService = service_dep) -> list[FormOut]:
        """The data-entry forms, with their fields, labelled in ``lang``."""
        return [describe(f, lang, service) for f in service.catalog.forms]

    @router.get("/entries", dependencies=[require("read")])
    def list_entries(
        user: CurrentUser,
        container: ContainerDep,
        status: DecisionStatus | None = None,
        mine: bool = False,
        limit: int = Query(default=100, ge=1, le=1000),
        service: FormService = service_dep,
    ) -> list[dict[str, Any]]:
        """Form entries (FORM_ENTRY decisions) within your scope, newest first."""
        found = service.entries(entered_by=user.username if mine else None, status=status, limit=limit)
        lines = LineResolver(container.queries)
        visible = []
        for decision in found:
            try:
                for command in decision.commands:
                    check_command(lines, command, user.lines)
            except OutOfScope:
                continue
            visible.append(decision.to_dict())
        return visible

    @router.post("/{form_id}/entries", status_code=201, dependencies=[require("read")])
    def submit_entry(
        form_id: str,
        body: EntryIn,
        user: CurrentUser,
        container: ContainerDep,
        service: FormService = service_dep,
    ) -> dict[str, Any]:
        """Validate an entry and propose it for review; 422 names the fields or DQ checks that fail."""
        form = service.catalog.get(form_id)
        require_permission(user, form.permission)
        queries = scoped_queries(container.queries, user.lines)
        checked = service.validate(form_id, body.values, queries, user.username)
        lines = LineResolver(container.queries)
        for command in checked.prepared.commands:
            check_command(lines, command, user.lines)
        return service.submit(form_id, body.values, queries, user.username).to_dict()

    @router.post("/entries/{decision_id}/review", dependencies=[require("approve")])
    def review_entry(
        decision_id: str,
        body: ReviewIn,
        user: CurrentUser,
        container: ContainerDep,
        service: FormService = service_dep,
    ) -> dict[str, Any]:
        """Approve (the entry takes effect in the MES) or reject a form entry; not your own."""
        decision = container.decisions.get(decision_id)
        check_reviewer(decision, user.username)
        lines = LineResolver(container.queries)
        for command in decision.commands:
            check_command(lines, command, user.lines)
        if body.approve:
            return container.decisions.approve(
                decision_id, user.username, user.roles, note=body.note
            ).to_dict()
        reason = body.note or "rejected in review"
        return container.decisions.reject(decision_id, user.username, user.roles, reason).to_dict()

    return router


def require_permission(user: Principal, permission: str) -> None:
    """The form's own permission, on top of the route's ``require("read")`` (it depends on the form)."""
    if not user.can(permission):
        raise PermissionDenied(f"{user.username!r} may not {permission}", permission=permission)
