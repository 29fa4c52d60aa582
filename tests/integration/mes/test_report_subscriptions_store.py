"""Report subscriptions live in the operational store (SQLite and PostgreSQL): a second process on the same
database — a restart — sees them and their last run, so a delivery is neither lost nor repeated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from plantloop.bootstrap import Container
from plantloop.kernel.errors import NotFound
from plantloop.reports.distribution import SqlSubscriptionStore, Subscription

Make = Callable[..., Container]
CREATED = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def test_subscriptions_survive_a_restart_with_their_last_run(make_container: Make) -> None:
    first = make_container()
    assert first.engine is not None
    store = SqlSubscriptionStore(first.engine)
    sub = store.add(
        Subscription(
            user="ann",
            email="ann@example.com",
            report_id="daily_production",
            params={"line": "L1"},
            schedule="0 7 * * 1-5",
            created_at=CREATED,
        )
    )
    assert sub.next_run_at(CREATED) == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    store.mark_run(sub.id, datetime(2026, 1, 5, 7, 0, 3, tzinfo=UTC))

    again = make_container()  # another process on the same database
    assert again.engine is not None
    restarted = SqlSubscriptionStore(again.engine)
    [loaded] = restarted.list()
    assert loaded.id == sub.id and loaded.params == {"line": "L1"}
    assert loaded.last_run_at == datetime(2026, 1, 5, 7, 0, 3, tzinfo=UTC)
    assert loaded.next_run_at(datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) == datetime(
        2026, 1, 6, 7, 0, tzinfo=UTC
    )
    assert restarted.remove(sub.id).id == sub.id
    assert store.list() == []
    with pytest.raises(NotFound):
        restarted.get(sub.id)
