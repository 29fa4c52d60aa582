"""Who may do what: users (from settings, plus the documented demo users in demo mode), roles,
permissions, row-level scope, password checks (argon2) and signed bearer tokens (PyJWT).

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
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from plantloop.kernel.errors import Unauthenticated
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
    "planner": frozenset({"read", "orders", "plan", "export"}),
    "operator": frozenset({"read", "execute"}),
    "quality": frozenset({"read", "quality", "export"}),
    "maintenance": frozenset({"read", "maintenance", "execute", "export"}),
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

_hasher = PasswordHasher()


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


class Authenticator:
    """Checks credentials against the configured users; remembers successful argon2 checks (by digest)
    so that HTTP Basic clients do not pay the deliberately slow hash on every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verified: dict[str, str] = {}

    def login(self, username: str, password: str) -> Principal:
        spec = self.settings.users.get(username)
        if spec is not None:
            digest = hashlib.sha256(f"{username}\x1f{password}".encode()).hexdigest()
            if self._verified.get(username) != digest:
                try:
                    _hasher.verify(spec.password_hash, password)
                except (VerificationError, InvalidHashError):
                    raise Unauthenticated("wrong user name or password") from None
                self._verified[username] = digest
            return Principal(username, tuple(spec.roles), lines=_lines(spec.lines))
        if self.settings.demo and username in DEMO_USERS and hmac.compare_digest(password, DEMO_PASSWORD):
            return Principal(
                username, tuple(DEMO_USERS[username]), demo=True, lines=DEMO_SCOPES.get(username)
            )
        raise Unauthenticated("wrong user name or password")

    def issue_token(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "sub": principal.username,
            "roles": list(principal.roles),
            "demo": principal.demo,
            "lines": sorted(principal.lines) if principal.lines is not None else None,
            "iat": now,
            "exp": now + self.settings.token_ttl_s,
        }
        return jwt.encode(claims, self.settings.secret_key, algorithm="HS256")

    def verify_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self.settings.secret_key, algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        return Principal(
            str(claims["sub"]),
            tuple(claims.get("roles", [])),
            bool(claims.get("demo", False)),
            lines=_lines(claims.get("lines")),
        )


def _lines(lines: list[str] | None) -> frozenset[str] | None:
    return None if lines is None else frozenset(lines)
