"""Alert routes: list alerts and their history, acknowledge (by id, or by a signed link from a mail or
chat message), and manage alert rules.

``build_router(get_engine, ack_tokens=...)`` is a factory the app mounts. The signed-link route
``/alerts/ack?token=`` needs no login — the token is the credential — so chat buttons work; it is GET
as well as POST because a chat client opens links with GET.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from plantloop.reports.alerts import (
    AckTokens,
    Alert,
    AlertEngine,
    AlertNotFound,
    AlertRule,
    AlertState,
    AlertTransition,
    InvalidAckToken,
)


class AckIn(BaseModel):
    note: str | None = Field(default=None, max_length=500)


def _default_username() -> Callable[..., str]:
    from plantloop.api.deps import CurrentUser

    def username(user: CurrentUser) -> str:
        return user.username

    # Annotations are strings here (PEP 563) and CurrentUser is not a module global: give FastAPI the object.
    username.__annotations__ = {"user": CurrentUser, "return": str}
    return username


def _everything() -> None:
    return None


def build_router(
    get_engine: Callable[..., AlertEngine],
    *,
    ack_tokens: AckTokens | None = None,
    get_username: Callable[..., str] | None = None,
    require_permission: Callable[[str], Any] | None = None,
    get_scope: Callable[..., frozenset[str] | set[str] | None] = _everything,
    line_of: Callable[[str], str | None] | None = None,
) -> APIRouter:
    """The ``/alerts`` router. Defaults: ``plantloop.api.deps.require`` and the authenticated user.

    ``get_scope`` gives the caller's lines and ``line_of`` maps an alert target to its line: alerts of
    other lines are not listed and read as not found (plant-wide alerts, of no line, are visible to all).
    """
    if require_permission is None:
        from plantloop.api.deps import require

        require_permission = require
    get_username = get_username or _default_username()
    router = APIRouter(prefix="/alerts", tags=["alerts"])
    # Parameter defaults, not local Annotated aliases: annotations are strings here (PEP 563).
    engine_dep: Any = Depends(get_engine)
    username_dep: Any = Depends(get_username)
    scope_dep: Any = Depends(get_scope)
    read = [require_permission("read")]

    def visible(alert_target: str, scope: frozenset[str] | set[str] | None) -> bool:
        if scope is None or line_of is None:
            return True
        line = line_of(alert_target)
        return line is None or line in scope

    def scoped_get(engine: AlertEngine, alert_id: str, scope: Any) -> Alert:
        alert = engine.get(alert_id)
        if not visible(alert.target, scope):
            raise AlertNotFound(f"no alert {alert_id!r}", alert_id=alert_id)
        return alert

    @router.get("", dependencies=read)
    def list_alerts(
        state: AlertState | None = None,
        limit: int = Query(default=100, ge=1, le=1000),
        engine: AlertEngine = engine_dep,
        scope: Any = scope_dep,
    ) -> list[Alert]:
        """Alerts, newest first, optionally in one state (open | acknowledged | resolved)."""
        return [a for a in engine.alerts(state) if visible(a.target, scope)][:limit]

    @router.get("/history", dependencies=read)
    def alert_history(
        alert_id: str | None = None,
        limit: int = Query(default=500, ge=1, le=5000),
        engine: AlertEngine = engine_dep,
        scope: Any = scope_dep,
    ) -> list[AlertTransition]:
        """State changes of all alerts (or of one), oldest first."""
        return [t for t in engine.history(alert_id) if visible(t.target, scope)][-limit:]

    @router.get("/rules", dependencies=read)
    def list_rules(engine: AlertEngine = engine_dep) -> list[AlertRule]:
        """The alert rules."""
        return engine.rules()

    @router.post("/rules", dependencies=[require_permission("admin")])
    def put_rule(rule: AlertRule, engine: AlertEngine = engine_dep) -> AlertRule:
        """Add an alert rule, or replace the rule with the same id."""
        return engine.put_rule(rule)

    def _ack_by_token(engine: AlertEngine, token: str) -> Alert:
        if ack_tokens is None:
            raise InvalidAckToken("acknowledgement links are not configured")
        return engine.acknowledge(ack_tokens.verify(token), by="link", note="acknowledged by signed link")

    @router.get("/ack")
    def ack_link(
        token: str = Query(min_length=10, max_length=2000), engine: AlertEngine = engine_dep
    ) -> Alert:
        """Acknowledge by the signed link sent with the alert (no login needed)."""
        return _ack_by_token(engine, token)

    @router.post("/ack")
    def ack_callback(
        token: str = Query(min_length=10, max_length=2000), engine: AlertEngine = engine_dep
    ) -> Alert:
        """Acknowledge by signed token (callback form)."""
        return _ack_by_token(engine, token)

    @router.get("/{alert_id}", dependencies=read)
    def get_alert(alert_id: str, engine: AlertEngine = engine_dep, scope: Any = scope_dep) -> Alert:
        """One alert."""
        return scoped_get(engine, alert_id, scope)

    @router.post("/{alert_id}/ack", dependencies=[require_permission("execute")])
    def acknowledge(
        alert_id: str,
        body: AckIn | None = None,
        engine: AlertEngine = engine_dep,
        username: str = username_dep,
        scope: Any = scope_dep,
    ) -> Alert:
        """Acknowledge an open alert as the current user."""
        scoped_get(engine, alert_id, scope)
        return engine.acknowledge(alert_id, by=username, note=body.note if body else None)

    return router
