"""Who may do what: users (from settings, plus the documented demo users in demo mode), roles,
permissions, row-level scope, password checks (argon2) with lockout, signed bearer tokens (PyJWT) and
browser sessions (:mod:`plantloop.api.sessions`).

Permissions are coarse verbs; each route names exactly one through ``deps.require``::

    read         look at anything in scope     plan         schedule, publish dispatch lists
    orders       create / change work orders   quality      hold / release lots, inspections
    execute      operator actions, downtime    maintenance  maintenance orders
    ingest       push data into collect/       approve      approve decisions and form entries
    export       export and subscribe reports  govern       mappings, crosswalk, DQ rules, quarantine
    sensitive    see unmasked personal data    admin        everything

Roles (what a plant's people do, see ARCHITECTURE.md) bundle permissions. Row-level scope is separate from
the role: a principal sees the lines of its scope (``None`` = the whole plant). Scope is resolved here, once,
and every reader (API, metrics, reports, exports, UI) takes it from the principal — never from the request.

Login hardening: after ``settings.login_max_failures`` consecutive failures for one user name the name is
locked for ``settings.login_lockout_s`` (a correct password is refused meanwhile, and unknown names are
tracked the same way so that lockout does not reveal which names exist); unknown names cost one argon2
verification like known ones. Bearer tokens carry ``typ=access`` and expire after ``token_ttl_s``; the
principal is re-resolved from the current settings on every use, so a removed user or a changed role takes
effect at once.

Errors::

    Unauthenticated (401)
     ├── AccountLocked        too many failed logins; ``retry_after_s`` says how long
     └── SessionExpired       a browser session that timed out or was logged out
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from plantloop.api.sessions import SessionStore, SqlSessionBacking
from plantloop.kernel.errors import Unauthenticated
from plantloop.kernel.ids import new_id
from plantloop.kernel.settings import Settings

PERMISSIONS = frozenset(
    {
        "read",
        "orders",
        "execute",
        "plan",
        "quality",
        "maintenance",
        "ingest",
        "approve",
        "export",
        "govern",
        "sensitive",
        "admin",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "manager": frozenset({"read", "approve", "export", "sensitive"}),
    "planner": frozenset({"read", "orders", "plan", "approve", "export"}),
    "operator": frozenset({"read", "execute"}),
    "quality": frozenset({"read", "quality", "approve", "export"}),
    "maintenance": frozenset({"read", "maintenance", "execute", "approve", "export"}),
    "analyst": frozenset({"read", "export", "govern"}),
    "integrator": frozenset({"read", "ingest"}),
    "admin": PERMISSIONS,
}

#: DEMO CREDENTIALS — only when settings.demo is true. Documented, public, never for production.
#: One demo user per role, named after it, with the whole plant in scope; plus ``operator_l1``, an operator
#: whose scope is line L1 only (to show row-level scope).
DEMO_PASSWORD = "demo"
DEMO_USERS: dict[str, list[str]] = {role: [role] for role in ROLES} | {"operator_l1": ["operator"]}
DEMO_SCOPES: dict[str, frozenset[str]] = {"operator_l1": frozenset({"L1"})}

TOKEN_TYPE = "access"

_hasher = PasswordHasher()


class AccountLocked(Unauthenticated):
    code = "account_locked"


class SessionExpired(Unauthenticated):
    code = "session_expired"


@dataclass(frozen=True)
class Principal:
    username: str
    roles: tuple[str, ...]
    demo: bool = False
    #: Line ids this principal may see; ``None`` is the whole plant.
    lines: frozenset[str] | None = None

    def sees_line(self, line_id: str | None) -> bool:
        """Whether a row of ``line_id`` is in scope (rows of no line — plant-wide — are visible to all)."""
        return self.lines is None or line_id is None or line_id in self.lines

    @property
    def permissions(self) -> frozenset[str]:
        out: set[str] = set()
        for role in self.roles:
            out |= ROLES.get(role, frozenset())
        return frozenset(out)

    def can(self, permission: str) -> bool:
        perms = self.permissions
        return permission in perms or "admin" in perms


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass
class _Failures:
    count: int = 0
    first_at: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Consecutive failed logins per user name → a temporary lock. Thread-safe; memory is bounded."""

    def __init__(
        self,
        max_failures: int,
        lockout_s: float,
        *,
        window_s: float | None = None,
        now: Callable[[], float] = time.monotonic,
        max_tracked: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.window_s = window_s if window_s is not None else lockout_s
        self.now = now
        self.max_tracked = max_tracked
        self._lock = threading.Lock()
        self._by_name: dict[str, _Failures] = {}

    def check(self, username: str) -> None:
        """Raise :class:`AccountLocked` while ``username`` is locked."""
        with self._lock:
            entry = self._by_name.get(username)
            remaining = entry.locked_until - self.now() if entry else 0.0
        if remaining > 0:
            seconds = math.ceil(remaining)
            raise AccountLocked(
                f"too many failed logins for {username!r}; try again in {seconds} s",
                username=username,
                retry_after_s=seconds,
            )

    def failed(self, username: str) -> None:
        now = self.now()
        with self._lock:
            entry = self._by_name.get(username)
            if entry is None or now - entry.first_at > self.window_s:
                if len(self._by_name) >= self.max_tracked:
                    self._prune(now)
                entry = self._by_name[username] = _Failures(first_at=now)
            entry.count += 1
            if entry.count >= self.max_failures:
                entry.locked_until = now + self.lockout_s
                entry.count = 0
                entry.first_at = now

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._by_name.pop(username, None)

    def _prune(self, now: float) -> None:
        stale = [
            name
            for name, e in self._by_name.items()
            if e.locked_until <= now and now - e.first_at > self.window_s
        ]
        for name in stale or list(self._by_name)[: self.max_tracked // 2]:
            del self._by_name[name]


class Authenticator:
    """Checks credentials against the configured users; remembers successful argon2 checks (by digest)
    so that HTTP Basic clients do not pay the deliberately slow hash on every request. Holds the login
    throttle and the browser-session store, so that the API and the web UI share both."""

    def __init__(
        self,
        settings: Settings,
        *,
        now: Callable[[], float] = time.monotonic,
        engine: sa.engine.Engine | None = None,
    ) -> None:
        """``engine``: the operational store, where browser sessions outlive a restart (else in memory)."""
        self.settings = settings
        self._verified: dict[str, str] = {}
        self.throttle = LoginThrottle(settings.login_max_failures, settings.login_lockout_s, now=now)
        self.sessions = SessionStore(
            ttl_s=settings.token_ttl_s,
            idle_s=settings.session_idle_s,
            now=time.time,
            backing=SqlSessionBacking(engine) if engine is not None else None,
        )
        self._dummy_hash: str | None = None

    def login(self, username: str, password: str) -> Principal:
        """The principal for these credentials, or :class:`Unauthenticated` / :class:`AccountLocked`."""
        self.throttle.check(username)
        principal = self._check_password(username, password)
        if principal is None:
            self.throttle.failed(username)
            raise Unauthenticated("wrong user name or password")
        self.throttle.succeeded(username)
        return principal

    def _check_password(self, username: str, password: str) -> Principal | None:
        spec = self.settings.users.get(username)
        if spec is not None:
            digest = hashlib.sha256(f"{username}\x1f{password}".encode()).hexdigest()
            if self._verified.get(username) != digest:
                try:
                    _hasher.verify(spec.password_hash, password)
                except (VerificationError, InvalidHashError):
                    return None
                self._verified[username] = digest
            return self.principal_for(username)
        if self.settings.demo and username in DEMO_USERS:
            return self.principal_for(username) if hmac.compare_digest(password, DEMO_PASSWORD) else None
        # Unknown name: spend the same argon2 time as a known one, so timing does not tell names apart.
        if self._dummy_hash is None:
            self._dummy_hash = _hasher.hash(new_id())
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(self._dummy_hash, password)
        return None

    def principal_for(self, username: str) -> Principal | None:
        """The principal of ``username`` from the current settings (None if no such user any more)."""
        spec = self.settings.users.get(username)
        if spec is not None:
            return Principal(username, tuple(spec.roles), lines=_lines(spec.lines))
        if self.settings.demo and username in DEMO_USERS:
            return Principal(
                username, tuple(DEMO_USERS[username]), demo=True, lines=DEMO_SCOPES.get(username)
            )
        return None

    def users(self) -> list[Principal]:
        """Every user who may log in now (configured users, and the demo users in demo mode)."""
        names = list(self.settings.users) + (list(DEMO_USERS) if self.settings.demo else [])
        out = [self.principal_for(name) for name in dict.fromkeys(names)]
        return [p for p in out if p is not None]

    # -- bearer tokens ------------------------------------------------------------------------------
    def issue_token(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "sub": principal.username,
            "typ": TOKEN_TYPE,
            "jti": new_id(),
            "roles": list(principal.roles),
            "demo": principal.demo,
            "lines": sorted(principal.lines) if principal.lines is not None else None,
            "iat": now,
            "exp": now + self.settings.token_ttl_s,
        }
        return jwt.encode(claims, self.settings.secret_key, algorithm="HS256")

    def verify_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self.settings.secret_key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        if claims.get("typ") != TOKEN_TYPE:
            raise Unauthenticated("invalid token: not an access token")
        principal = self.principal_for(str(claims["sub"]))
        if principal is None:
            raise Unauthenticated("invalid token: the user no longer exists")
        return principal

    # -- browser sessions ---------------------------------------------------------------------------
    def session_principal(self, session_id: str) -> Principal:
        """The principal of a live browser session (touching it), else :class:`SessionExpired`."""
        session = self.sessions.touch(session_id)
        principal = self.principal_for(session.username) if session is not None else None
        if session is None or principal is None:
            raise SessionExpired("your session has expired; please log in again")
        return principal


def _lines(lines: list[str] | None) -> frozenset[str] | None:
    return None if lines is None else frozenset(lines)
