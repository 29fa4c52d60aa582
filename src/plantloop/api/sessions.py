"""Browser sessions: server-side records behind an opaque, random cookie, with an absolute and an idle
expiry, explicit logout, and one-time login tickets.

Why server-side and not a signed cookie alone: logging out (or an administrator revoking a user) must end
the session now, not when its signature expires. The cookie holds 256 random bits; the store keeps only
their SHA-256, so a dump of the store cannot be replayed as cookies.

A *login ticket* carries a fresh session from the web UI's login form (which runs over the UI's
websocket and cannot set an HttpOnly cookie) to an ordinary HTTP response that can: it is random,
single-use and lives ``ticket_ttl_s`` seconds.

Sessions are kept in memory and, when a :class:`SessionBacking` is given (``SqlSessionBacking``: the
operational store), written through to it, so that a restart does not log everyone out: a session unknown
in memory is looked up there. Its idle clock is written at most every ``PERSIST_IDLE_S`` seconds, and at
the same moment a session revoked by another process is noticed: both may lag by that much. Login tickets
stay in memory (a minute, single use).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import sqlalchemy as sa

SESSION_COOKIE = "plantloop_session"
#: How stale the stored idle clock of a session may get (writes on every request would be wasted).
PERSIST_IDLE_S = 30.0


@dataclass(frozen=True)
class Session:
    username: str
    created_at: float
    last_seen_at: float
    expires_at: float


class SessionBacking(Protocol):
    """Where sessions outlive the process (by hashed id; never the token itself)."""

    def load(self, key: str) -> Session | None: ...
    def save(self, key: str, session: Session) -> None: ...
    def delete(self, key: str) -> None: ...
    def delete_user(self, username: str) -> int: ...
    def live(self, now: float, idle_s: float) -> list[Session]: ...
    def purge(self, now: float, idle_s: float) -> None: ...


web_sessions = sa.Table(
    "web_sessions",  # created by the MES Alembic chain, revision 0004
    sa.MetaData(),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)


class SqlSessionBacking:
    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def load(self, key: str) -> Session | None:
        t = web_sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.username, t.created_at, t.last_seen_at, t.expires_at).where(t.key == key)
            ).first()
        return Session(str(row[0]), float(row[1]), float(row[2]), float(row[3])) if row else None

    def save(self, key: str, session: Session) -> None:
        values = {
            "username": session.username,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "expires_at": session.expires_at,
        }
        with self.engine.begin() as conn:
            updated = conn.execute(web_sessions.update().where(web_sessions.c.key == key).values(**values))
            if updated.rowcount == 0:
                conn.execute(web_sessions.insert().values(key=key, **values))

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.key == key))

    def delete_user(self, username: str) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(web_sessions.delete().where(web_sessions.c.username == username)).rowcount
            )

    def live(self, now: float, idle_s: float) -> list[Session]:
        t = web_sessions.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.username, t.created_at, t.last_seen_at, t.expires_at).where(
                    t.expires_at > now, t.last_seen_at > now - idle_s
                )
            ).all()
        return [Session(str(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in rows]

    def purge(self, now: float, idle_s: float) -> None:
        t = web_sessions.c
        with self.engine.begin() as conn:
            conn.execute(
                web_sessions.delete().where(sa.or_(t.expires_at <= now, t.last_seen_at <= now - idle_s))
            )


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
        backing: SessionBacking | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self.idle_s = idle_s
        self.ticket_ttl_s = ticket_ttl_s
        self.now = now
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._tickets: dict[str, tuple[str, float]] = {}
        self.backing = backing
        self._stored_seen: dict[str, float] = {}  # key -> last_seen_at as the backing has it

    def create(self, username: str) -> str:
        """A new session for ``username``; returns the secret session id (the cookie value)."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        session = Session(username, now, now, now + self.ttl_s)
        with self._lock:
            self._expire(now)
            self._sessions[_key(token)] = session
            if self.backing is not None:
                self.backing.purge(now, self.idle_s)
                self.backing.save(_key(token), session)
                self._stored_seen[_key(token)] = now
        return token

    def _get(self, key: str) -> Session | None:
        """The session of ``key`` from memory, else from the backing (after a restart); lock held."""
        session = self._sessions.get(key)
        if session is None and self.backing is not None:
            session = self.backing.load(key)
            if session is not None:
                self._sessions[key] = session
                self._stored_seen[key] = session.last_seen_at
        return session

    def _drop(self, key: str) -> None:
        """Forget ``key`` in memory and in the backing; lock held."""
        self._sessions.pop(key, None)
        self._stored_seen.pop(key, None)
        if self.backing is not None:
            self.backing.delete(key)

    def touch(self, token: str) -> Session | None:
        """The live session of ``token`` (its idle clock restarted), or None if unknown or expired."""
        now = self.now()
        key = _key(token)
        with self._lock:
            session = self._get(key)
            if session is None:
                return None
            if now >= session.expires_at or now - session.last_seen_at >= self.idle_s:
                self._drop(key)
                return None
            session = self._sessions[key] = replace(session, last_seen_at=now)
            if self.backing is not None and now - self._stored_seen.get(key, 0.0) >= PERSIST_IDLE_S:
                if self.backing.load(key) is None:  # revoked by another process (or expired and purged)
                    self._drop(key)
                    return None
                self.backing.save(key, session)
                self._stored_seen[key] = now
            return session

    def peek(self, token: str) -> Session | None:
        """Like :meth:`touch` without restarting the idle clock (for background checks)."""
        now = self.now()
        with self._lock:
            session = self._get(_key(token))
        if session is None or now >= session.expires_at or now - session.last_seen_at >= self.idle_s:
            return None
        return session

    def revoke(self, token: str) -> bool:
        with self._lock:
            known = self._get(_key(token)) is not None
            self._drop(_key(token))
            return known

    def revoke_user(self, username: str) -> int:
        """End every session of ``username``; returns how many."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.username == username]
            for k in keys:
                del self._sessions[k]
                self._stored_seen.pop(k, None)
            stored = self.backing.delete_user(username) if self.backing is not None else 0
        return max(len(keys), stored)

    def active(self) -> list[Session]:
        now = self.now()
        with self._lock:
            self._expire(now)
            if self.backing is not None:
                return self.backing.live(now, self.idle_s)
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
