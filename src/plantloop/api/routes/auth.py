"""Authentication route: trade user name and password (HTTP Basic) for a signed bearer token."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from plantloop.api.deps import AuthenticatorDep, CurrentUser, require

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    username: str
    roles: list[str]
    demo: bool


@router.post("/token", dependencies=[require("read")])
def issue_token(user: CurrentUser, auth: AuthenticatorDep) -> TokenOut:
    """A bearer token for the authenticated user (send it as ``Authorization: Bearer <token>``)."""
    return TokenOut(
        access_token=auth.issue_token(user), username=user.username, roles=list(user.roles), demo=user.demo
    )


@router.get("/me", dependencies=[require("read")])
def who_am_i(user: CurrentUser) -> TokenOut:
    """The authenticated user, roles and whether these are demo credentials (no token issued)."""
    return TokenOut(access_token="", username=user.username, roles=list(user.roles), demo=user.demo)
