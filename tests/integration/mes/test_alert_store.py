"""Alerts in the operational store (SQLite and PostgreSQL): a restarted engine keeps open and acknowledged
alerts and the history, goes on counting on an open alert instead of opening a second one, and pruning
drops old resolved alerts from the store too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.reports.alert_store import SqlAlertBacking, alerts_table, transitions_table
from plantloop.reports.alerts import AlertEngine, AlertState, MetricSample
from tests.unit.reports.test_alerts import TEMP

Make = Callable[..., Container]
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
HOT = TEMP.model_copy(update={"duration_s": 0})  # the unit tests' rule, opening at once


def _engine(container: Container, **kwargs: int) -> AlertEngine:
    assert container.engine is not None
    engine = AlertEngine(clock=FakeClock(T0), backing=SqlAlertBacking(container.engine), **kwargs)
    engine.put_rule(HOT)  # rules are configuration: every process loads them
    return engine


def _hot(engine: AlertEngine, value: float, after_s: float, target: str = "L1/CNC1") -> list[str]:
    at = T0 + timedelta(seconds=after_s)
    changed = engine.observe(MetricSample(metric=HOT.metric, target=target, value=value, at=at))
    return [a.state.value for a in changed]


def test_alerts_acknowledgements_and_history_outlive_a_restart(make_container: Make) -> None:
    first = _engine(make_container())
    assert _hot(first, 85, 0) == ["open"]
    assert _hot(first, 90, 10, target="L1/CNC2") == ["open"]
    cnc1 = next(a for a in first.alerts() if a.target == "L1/CNC1")
    first.acknowledge(cnc1.id, by="ann", note="coolant checked")

    restarted = _engine(make_container())  # a new process on the same database
    states = {a.target: a for a in restarted.alerts()}
    assert states["L1/CNC1"].state is AlertState.ACKNOWLEDGED
    assert states["L1/CNC1"].acknowledged_by == "ann"
    assert states["L1/CNC2"].state is AlertState.OPEN
    assert [(t.state, t.by, t.note) for t in restarted.history(cnc1.id)] == [
        (AlertState.OPEN, None, None),
        (AlertState.ACKNOWLEDGED, "ann", "coolant checked"),
    ]
    # still hot after the restart: the open alert counts, no second one opens
    assert _hot(restarted, 88, 20, target="L1/CNC2") == []
    assert len(restarted.alerts()) == 2
    assert restarted.get(states["L1/CNC2"].id).occurrences == 2
    # and it resolves when the condition clears
    assert _hot(restarted, 60, 30, target="L1/CNC2") == ["resolved"]

    again = _engine(make_container())
    assert again.get(states["L1/CNC2"].id).state is AlertState.RESOLVED
    assert again.get(states["L1/CNC2"].id).occurrences == 2  # written with the resolve
    assert len(again.history()) == 4


def test_pruned_resolved_alerts_leave_the_store_and_the_history_stays(make_container: Make) -> None:
    container = make_container()
    engine = _engine(container, keep_resolved=2)
    for i in range(5):
        assert _hot(engine, 85, 100 * i, target=f"L1/M{i}") == ["open"]
        assert _hot(engine, 60, 100 * i + 10, target=f"L1/M{i}") == ["resolved"]
    assert container.engine is not None
    with container.engine.connect() as conn:
        stored = conn.execute(sa.select(alerts_table.c.target)).scalars().all()
        transitions = conn.execute(sa.select(sa.func.count()).select_from(transitions_table)).scalar_one()
    assert sorted(stored) == ["L1/M3", "L1/M4"]
    assert transitions == 10
    restarted = _engine(make_container(), keep_resolved=2)
    assert sorted(a.target for a in restarted.alerts()) == ["L1/M3", "L1/M4"]


def test_occurrences_counted_between_two_state_changes_survive_a_crash(make_container: Make) -> None:
    first = _engine(make_container())
    assert _hot(first, 85, 0) == ["open"]
    assert _hot(first, 88, 10) == [] and _hot(first, 91, 20) == []
    # the process dies here, before any further state change
    restarted = _engine(make_container())
    (alert,) = restarted.alerts()
    assert alert.state is AlertState.OPEN
    assert (alert.occurrences, alert.value) == (3, 91)
    assert alert.last_seen_at == T0 + timedelta(seconds=20)
    assert len(restarted.history()) == 1  # counting writes no transition
