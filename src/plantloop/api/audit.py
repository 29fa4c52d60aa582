"""Every API write in the audit trail: who (the authenticated principal, or ``anonymous``), which route
(method and path template), the target path, the HTTP status and the outcome — refused and failed writes
too. Request bodies are not copied (they may hold passwords or personal data); the domain records what
changed (events, decisions, form submissions), this records who asked.

A plain ASGI middleware: it sees the response status without buffering the body, and reads the principal
that ``deps.current_principal`` left in the request state.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from plantloop.loop.audit import AuditLog

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return "refused" if status < 500 else "failed"


class AuditWrites:
    def __init__(self, app: ASGIApp, audit: Callable[[], AuditLog], *, prefix: str = "/api/") -> None:
        self.app = app
        self.audit = audit
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITES
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees when the app fails before it answers

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self._record(scope, status)

    def _record(self, scope: Scope, status: int) -> None:
        principal = scope.get("state", {}).get("principal")
        actor = getattr(principal, "username", None) or "anonymous"
        method, path = scope["method"], scope["path"]
        try:
            self.audit().record(
                actor,
                f"http.{method.lower()}",
                path,
                outcome=outcome_of(status),
                status=status,
                route=_route_of(scope),
            )
        except Exception:  # the audit store failing must be loud, not take the API down with it
            log.exception("could not audit %s %s by %s", method, path, actor)


def _route_of(scope: Scope) -> str:
    """The path as a template (``/api/v1/work-orders/{work_order_id}/release``): the values of the matched
    route's path parameters put back as their names, so that writes can be grouped by route."""
    path = str(scope["path"])
    for name, value in (scope.get("path_params") or {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path
