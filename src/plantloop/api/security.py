"""Who may do what: users (from settings, plus the documented demo users in demo mode), roles,
permissions, password checks (argon2) and signed bearer tokens (PyJWT).

Permissions are coarse verbs; each route names exactly one through ``deps.require``::

    read         look at anything              plan         publish dispatch lists
    orders       create / change work orders   quality      hold / release lots, inspections
    execute      operator actions, downtime    maintenance  maintenance orders
    ingest       push data into collect/       admin        everything
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

PERMISSIONS = frozenset({"read", "orders", "execute", "plan", "quality", "maintenance", "ingest", "admin"})

ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "operator": frozenset({"read", "execute"}),
    "planner": frozenset({"read", "orders", "plan"}),
    "quality": frozenset({"read", "quality"}),
    "maintenance": frozenset({"read", "maintenance", "execute"}),
    "integrator": frozenset({"read", "ingest"}),
    "admin": PERMISSIONS,
}

#: DEMO CREDENTIALS — only when settings.demo is true. Documented, public, never for production.
DEMO_PASSWORD = "demo"
DEMO_USERS: dict[str, list[str]] = {role: [role] for role in ROLES}

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    username: str
    roles: tuple[str, ...]
    demo: bool = False

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
            return Principal(username, tuple(spec.roles))
        if self.settings.demo and username in DEMO_USERS and hmac.compare_digest(password, DEMO_PASSWORD):
            return Principal(username, tuple(DEMO_USERS[username]), demo=True)
        raise Unauthenticated("wrong user name or password")

    def issue_token(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "sub": principal.username,
            "roles": list(principal.roles),
            "demo": principal.demo,
            "iat": now,
            "exp": now + self.settings.token_ttl_s,
        }
        return jwt.encode(claims, self.settings.secret_key, algorithm="HS256")

    def verify_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self.settings.secret_key, algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        return Principal(str(claims["sub"]), tuple(claims.get("roles", [])), bool(claims.get("demo", False)))
