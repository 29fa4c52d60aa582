"""Login hardening: lockout after repeated failures, token type and expiry, server-side browser sessions."""

from __future__ import annotations

import time

import jwt
import pytest

from plantloop.api.security import AccountLocked, Authenticator, LoginThrottle, SessionExpired, hash_password
from plantloop.api.sessions import SessionStore
from plantloop.kernel.errors import Unauthenticated
from plantloop.kernel.settings import Settings, UserSpec


class Ticker:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def bob_hash() -> str:
    return hash_password("s3cret-pass")


def _auth(bob_hash: str, ticker: Ticker, **overrides: object) -> Authenticator:
    settings = Settings(
        demo=True,
        users={"bob": UserSpec(password_hash=bob_hash, roles=["quality"], lines=["L2"])},
        login_max_failures=3,
        login_lockout_s=60,
        **overrides,  # type: ignore[arg-type]
    )
    return Authenticator(settings, now=ticker)


def test_repeated_failures_lock_the_name_even_for_the_right_password(bob_hash: str) -> None:
    ticker = Ticker()
    auth = _auth(bob_hash, ticker)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            auth.login("bob", "wrong")
    with pytest.raises(AccountLocked) as locked:
        auth.login("bob", "s3cret-pass")
    assert locked.value.details["retry_after_s"] == 60
    ticker.t += 61
    principal = auth.login("bob", "s3cret-pass")
    assert principal.roles == ("quality",) and principal.lines == frozenset({"L2"})


def test_a_success_resets_the_failure_count(bob_hash: str) -> None:
    auth = _auth(bob_hash, Ticker())
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login("bob", "wrong")
    auth.login("bob", "s3cret-pass")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login("bob", "wrong")
    assert auth.login("bob", "s3cret-pass").username == "bob"


def test_unknown_names_lock_like_known_ones_so_lockout_reveals_nothing(bob_hash: str) -> None:
    auth = _auth(bob_hash, Ticker())
    for _ in range(3):
        with pytest.raises(Unauthenticated) as err:
            auth.login("mallory", "x")
        assert not isinstance(err.value, AccountLocked)
    with pytest.raises(AccountLocked):
        auth.login("mallory", "x")


def test_the_throttle_forgets_old_failures_after_its_window() -> None:
    ticker = Ticker()
    throttle = LoginThrottle(3, 60, window_s=10, now=ticker)
    throttle.failed("ann")
    throttle.failed("ann")
    ticker.t += 11
    throttle.failed("ann")
    throttle.check("ann")  # two old failures fell out of the window: not locked


def test_tokens_are_typed_expire_and_follow_the_current_settings(bob_hash: str) -> None:
    auth = _auth(bob_hash, Ticker())
    token = auth.issue_token(auth.login("bob", "s3cret-pass"))
    assert auth.verify_token(token).lines == frozenset({"L2"})
    claims = jwt.decode(token, auth.settings.secret_key, algorithms=["HS256"])
    assert claims["typ"] == "access" and claims["exp"] - claims["iat"] == auth.settings.token_ttl_s
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, auth.settings.secret_key, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="expired"):
        auth.verify_token(expired)
    other_typ = jwt.encode({**claims, "typ": "alert_ack"}, auth.settings.secret_key, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="not an access token"):
        auth.verify_token(other_typ)
    auth.settings.users["bob"] = UserSpec(password_hash=bob_hash, roles=["viewer"])
    assert auth.verify_token(token).roles == ("viewer",)  # a changed role applies at once
    del auth.settings.users["bob"]
    with pytest.raises(Unauthenticated, match="no longer exists"):
        auth.verify_token(token)


def test_sessions_end_when_idle_at_their_absolute_expiry_and_on_logout() -> None:
    ticker = Ticker()
    store = SessionStore(ttl_s=100, idle_s=30, now=ticker)
    a = store.create("ann")
    ticker.t += 20
    assert store.touch(a) is not None
    ticker.t += 29
    assert store.touch(a) is not None  # the idle clock restarted at the last touch
    ticker.t += 30
    assert store.touch(a) is None  # idle for 30 s
    b = store.create("ann")
    for _ in range(4):
        ticker.t += 24
        assert store.touch(b) is not None
    ticker.t += 5
    assert store.touch(b) is None  # 101 s after creation though never idle: absolute expiry
    c, d = store.create("ann"), store.create("bob")
    assert store.revoke(c) and store.touch(c) is None
    assert store.revoke_user("bob") == 1 and store.touch(d) is None


def test_login_tickets_are_single_use_and_short_lived() -> None:
    ticker = Ticker()
    store = SessionStore(ttl_s=100, idle_s=30, ticket_ttl_s=5, now=ticker)
    session = store.create("ann")
    ticket = store.issue_ticket(session)
    assert store.redeem_ticket(ticket) == session
    assert store.redeem_ticket(ticket) is None
    late = store.issue_ticket(session)
    ticker.t += 6
    assert store.redeem_ticket(late) is None


def test_a_session_of_a_removed_user_is_refused(bob_hash: str) -> None:
    auth = _auth(bob_hash, Ticker())
    token = auth.sessions.create("bob")
    assert auth.session_principal(token).username == "bob"
    del auth.settings.users["bob"]
    with pytest.raises(SessionExpired):
        auth.session_principal(token)
