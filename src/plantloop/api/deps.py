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

from plantloop.api.security import PERMISSIONS, Authenticator, Principal
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


def get_bus(container: ContainerDep) -> MessageBus:
    return container.bus


def get_queries(container: ContainerDep) -> MesQueries:
    return container.queries


BusDep = Annotated[MessageBus, Depends(get_bus)]
QueriesDep = Annotated[MesQueries, Depends(get_queries)]


def current_principal(
    auth: AuthenticatorDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    if bearer is not None and bearer.scheme.lower() == "bearer":
        return auth.verify_token(bearer.credentials)
    if basic is not None:
        return auth.login(basic.username, basic.password)
    raise Unauthenticated("authentication required (HTTP Basic or Bearer token)")


CurrentUser = Annotated[Principal, Depends(current_principal)]


def user_scope(user: CurrentUser) -> frozenset[str] | None:
    """The caller's row-level scope (line ids; ``None`` = the whole plant): readers filter by it."""
    return user.lines


ScopeDep = Annotated[frozenset[str] | None, Depends(user_scope)]


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
