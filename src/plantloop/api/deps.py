"""Dependencies every route declares: the container and its parts, and the ONE authorization check.

Routes say what they need declaratively::

    @router.post("/{id}/release", dependencies=[require("orders")])
    def release(id: str, bus: BusDep, user: CurrentUser) -> ...

``require(permission)`` authenticates (HTTP Basic or ``Authorization: Bearer <token>``) and checks the
permission; ``CurrentUser`` gives the authenticated principal (resolved once per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from plantloop.api.scope import scoped_bus, scoped_queries
from plantloop.api.security import PERMISSIONS, Authenticator, Principal
from plantloop.api.sessions import SESSION_COOKIE
from plantloop.bootstrap import Container
from plantloop.kernel.errors import PermissionDenied, Unauthenticated
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries

_basic = HTTPBasic(auto_error=False, description="User name and password")
_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


ContainerDep = Annotated[Container, Depends(get_container)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]


def current_principal(
    request: Request,
    auth: AuthenticatorDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    principal = _authenticate(request, auth, bearer, basic)
    request.state.principal = principal  # the audit middleware names the actor of every write
    return principal


def _authenticate(
    request: Request,
    auth: Authenticator,
    bearer: HTTPAuthorizationCredentials | None,
    basic: HTTPBasicCredentials | None,
) -> Principal:
    if bearer is not None and bearer.scheme.lower() == "bearer":
        return auth.verify_token(bearer.credentials)
    if basic is not None:
        return auth.login(basic.username, basic.password)
    # The web UI's session cookie authenticates safe (read-only) requests such as export downloads;
    # never unsafe ones, so that another site cannot make a logged-in browser change anything (CSRF).
    session = request.cookies.get(SESSION_COOKIE)
    if session and request.method in ("GET", "HEAD"):
        return auth.session_principal(session)
    raise Unauthenticated("authentication required (HTTP Basic or Bearer token)")


CurrentUser = Annotated[Principal, Depends(current_principal)]


def user_scope(user: CurrentUser) -> frozenset[str] | None:
    """The caller's row-level scope (line ids; ``None`` = the whole plant): readers filter by it."""
    return user.lines


ScopeDep = Annotated[frozenset[str] | None, Depends(user_scope)]


def get_bus(container: ContainerDep, scope: ScopeDep) -> MessageBus:
    """The MES bus; for a line-scoped user, guarded so that commands outside the scope are refused."""
    return scoped_bus(container.bus, container.queries, scope)


def get_queries(container: ContainerDep, scope: ScopeDep) -> MesQueries:
    """The MES read side; for a line-scoped user, filtered to the scope (see ``api/scope.py``)."""
    return scoped_queries(container.queries, scope)


BusDep = Annotated[MessageBus, Depends(get_bus)]
QueriesDep = Annotated[MesQueries, Depends(get_queries)]


def require(permission: str) -> DependsParam:
    """The one authorization dependency: authenticated, and allowed ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def check(user: CurrentUser) -> Principal:
        if not user.can(permission):
            raise PermissionDenied(f"{user.username!r} may not {permission}", permission=permission)
        return user

    check.__name__ = f"require_{permission}"
    dependency: DependsParam = Depends(check)
    return dependency
