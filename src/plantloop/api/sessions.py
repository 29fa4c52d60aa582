"""Browser sessions: server-side records behind an opaque, random cookie, with an absolute and an idle
expiry, explicit logout, and one-time login tickets.

Why server-side and not a signed cookie alone: logging out (or an administrator revoking a user) must end
the session now, not when its signature expires. The cookie holds 256 random bits; the store keeps only
their SHA-256, so a dump of the store cannot be replayed as cookies.

A *login ticket* carries a fresh session from the web UI's login form (which runs over the UI's
websocket and cannot set an HttpOnly cookie) to an ordinary HTTP response that can: it is random,
single-use and lives ``ticket_ttl_s`` seconds.

The store is in memory (one process, the embedded default); restarting the server logs everyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

SESSION_COOKIE = "plantloop_session"


@dataclass(frozen=True)
class Session:
    username: str
    created_at: float
    last_seen_at: float
    expires_at: float


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions by (hashed) id. ``ttl_s`` is the absolute lifetime, ``idle_s`` the inactivity limit."""

    def __init__(
        self,
        *,
        ttl_s: float,
        idle_s: float,
        ticket_ttl_s: float = 60.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_s = ttl_s
        self.idle_s = idle_s
        self.ticket_ttl_s = ticket_ttl_s
        self.now = now
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._tickets: dict[str, tuple[str, float]] = {}

    def create(self, username: str) -> str:
        """A new session for ``username``; returns the secret session id (the cookie value)."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        with self._lock:
            self._expire(now)
            self._sessions[_key(token)] = Session(username, now, now, now + self.ttl_s)
        return token

    def touch(self, token: str) -> Session | None:
        """The live session of ``token`` (its idle clock restarted), or None if unknown or expired."""
        now = self.now()
        key = _key(token)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now >= session.expires_at or now - session.last_seen_at >= self.idle_s:
                del self._sessions[key]
                return None
            session = self._sessions[key] = replace(session, last_seen_at=now)
            return session

    def peek(self, token: str) -> Session | None:
        """Like :meth:`touch` without restarting the idle clock (for background checks)."""
        now = self.now()
        with self._lock:
            session = self._sessions.get(_key(token))
        if session is None or now >= session.expires_at or now - session.last_seen_at >= self.idle_s:
            return None
        return session

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._sessions.pop(_key(token), None) is not None

    def revoke_user(self, username: str) -> int:
        """End every session of ``username``; returns how many."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.username == username]
            for k in keys:
                del self._sessions[k]
        return len(keys)

    def active(self) -> list[Session]:
        now = self.now()
        with self._lock:
            self._expire(now)
            return list(self._sessions.values())

    # -- one-time login tickets -------------------------------------------------------------------
    def issue_ticket(self, session_token: str) -> str:
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            now = self.now()
            self._tickets = {k: v for k, v in self._tickets.items() if v[1] > now}
            self._tickets[_key(ticket)] = (session_token, now + self.ticket_ttl_s)
        return ticket

    def redeem_ticket(self, ticket: str) -> str | None:
        """The session token behind ``ticket`` (once), or None if unknown, used or expired."""
        with self._lock:
            entry = self._tickets.pop(_key(ticket), None)
        if entry is None or entry[1] <= self.now():
            return None
        return entry[0]

    def _expire(self, now: float) -> None:
        dead = [
            k for k, s in self._sessions.items() if now >= s.expires_at or now - s.last_seen_at >= self.idle_s
        ]
        for k in dead:
            del self._sessions[k]
