"""Browser session routes of the web UI: finish a login (trade a one-time ticket for the session cookie)
and log out (end the session, drop the cookie).

The login form runs over the UI's websocket, which cannot set an HttpOnly cookie; it checks the password,
opens the session and sends the browser here with a single-use ticket that lives a minute. The cookie is
HttpOnly, SameSite=Lax (Secure behind HTTPS) and carries only the random session id.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from plantloop.api.deps import AuthenticatorDep
from plantloop.api.sessions import SESSION_COOKIE

router = APIRouter(prefix="/auth", tags=["web session"], include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//evil.example`` or ``https://…``): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/home"
    return target


@router.get("/complete")
def complete_login(
    request: Request,
    auth: AuthenticatorDep,
    ticket: str = Query(min_length=10, max_length=200),
    next: str = "/home",
) -> RedirectResponse:
    """Set the session cookie for a fresh login ticket and continue to ``next``."""
    session = auth.sessions.redeem_ticket(ticket)
    if session is None or auth.sessions.peek(session) is None:
        return RedirectResponse(f"/login?expired=1&next={quote(safe_next(next), safe='')}", status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(auth.sessions.ttl_s),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/logout")
def logout(request: Request, auth: AuthenticatorDep) -> RedirectResponse:
    """End the browser session and drop its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sessions.revoke(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
