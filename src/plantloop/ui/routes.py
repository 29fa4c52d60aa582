"""The HTTP routes the web UI brings along: reports, alerts, data-entry forms and the browser session.

Each router authorizes through ``deps.require`` and takes the row scope from the principal
(``deps.user_scope``), like every other route of the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from plantloop.api.deps import user_scope
from plantloop.api.routes import alerts, forms, reports, ui_session
from plantloop.reports.alerts import AlertEngine
from plantloop.reports.forms.service import FormService
from plantloop.ui.context import UiContext


def routers(ctx: UiContext) -> list[tuple[APIRouter, bool]]:
    """``(router, under /api/v1)`` pairs for ``ctx``."""

    def report_conn() -> Any:
        return ctx.report_connection()

    def alert_engine() -> AlertEngine:
        return ctx.alerts

    def form_service() -> FormService:
        return ctx.forms

    return [
        (reports.build_router(report_conn, user_scope, runner=ctx.reports), True),
        (
            alerts.build_router(
                alert_engine, ack_tokens=ctx.ack_tokens, get_scope=user_scope, line_of=ctx.line_of_target
            ),
            True,
        ),
        (forms.build_router(form_service), True),
        (ui_session.router, False),
    ]
