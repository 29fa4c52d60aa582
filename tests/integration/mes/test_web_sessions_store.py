"""Browser sessions in the operational store (SQLite and PostgreSQL): a restarted server still knows them,
a logout in one process ends the session in another within the persistence interval, expiry holds."""

from __future__ import annotations

from collections.abc import Callable

from plantloop.api.sessions import PERSIST_IDLE_S, SessionStore, SqlSessionBacking
from plantloop.bootstrap import Container

Make = Callable[..., Container]


class Ticker:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _store(container: Container, clock: Ticker) -> SessionStore:
    assert container.engine is not None
    return SessionStore(ttl_s=8 * 3600, idle_s=1800, now=clock, backing=SqlSessionBacking(container.engine))


def test_sessions_outlive_a_restart_and_a_logout_reaches_every_process(make_container: Make) -> None:
    clock = Ticker()
    first = _store(make_container(), clock)
    token = first.create("ann")
    other = first.create("bob")
    restarted = _store(make_container(), clock)  # a new process on the same database
    clock.t += 60
    found = restarted.touch(token)
    assert found is not None and found.username == "ann"
    assert restarted.touch("not-a-token") is None
    assert {s.username for s in restarted.active()} == {"ann", "bob"}
    assert restarted.revoke(other)
    clock.t += PERSIST_IDLE_S + 1
    assert first.touch(other) is None  # the first process learns of the logout at its next write
    assert first.touch(token) is not None
    clock.t += 1801  # idle too long
    assert restarted.touch(token) is None and first.touch(token) is None
    assert restarted.active() == []


def test_revoking_a_user_ends_sessions_this_process_never_saw(make_container: Make) -> None:
    clock = Ticker()
    first = _store(make_container(), clock)
    first.create("ann")
    first.create("ann")
    second = _store(make_container(), clock)
    assert second.revoke_user("ann") == 2
    assert second.active() == []
