"""Alert rules: duration, hysteresis, rate of change, event matching, dedupe, acknowledgement, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import Conflict, InvalidInput, NotFound
from plantloop.reports.alerts import (
    AckTokens,
    Alert,
    AlertEngine,
    AlertRule,
    AlertState,
    Direction,
    MetricSample,
    RuleKind,
)

SECRET = "alert-ack-test-secret-0123456789abcdef"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TEMP = AlertRule(
    id="spindle-hot",
    name="Spindle too hot",
    kind=RuleKind.THRESHOLD,
    metric="spindle_temperature_c",
    target="L1/*",
    threshold=80.0,
    clear_threshold=70.0,
    duration_s=60,
)


def sample(
    value: float, after_s: float, target: str = "L1/CNC1", metric: str = "spindle_temperature_c"
) -> MetricSample:
    return MetricSample(metric=metric, target=target, value=value, at=T0 + timedelta(seconds=after_s))


def engine_with(*rules: AlertRule) -> AlertEngine:
    engine = AlertEngine(clock=FakeClock(T0))
    for rule in rules:
        engine.put_rule(rule)
    return engine


def feed(engine: AlertEngine, *samples: MetricSample) -> list[Alert]:
    changed: list[Alert] = []
    for s in samples:
        changed += engine.observe(s)
    return changed


def test_a_breach_opens_an_alert_only_after_it_lasted_the_duration() -> None:
    engine = engine_with(TEMP)
    assert feed(engine, sample(85, 0), sample(86, 30)) == []
    opened = feed(engine, sample(87, 60))
    assert [a.state for a in opened] == [AlertState.OPEN]
    assert opened[0].opened_at == T0  # since the breach began
    assert opened[0].target == "L1/CNC1"


def test_an_interrupted_breach_restarts_the_duration() -> None:
    engine = engine_with(TEMP)
    assert feed(engine, sample(85, 0), sample(60, 30), sample(85, 40), sample(85, 90)) == []
    assert len(feed(engine, sample(85, 100))) == 1


def test_one_open_alert_per_rule_and_target_with_repeats_counted() -> None:
    engine = engine_with(TEMP)
    feed(engine, *(sample(90, s) for s in range(0, 600, 30)))
    feed(engine, *(sample(90, s, target="L1/CNC2") for s in range(0, 120, 30)))
    open_alerts = engine.alerts(AlertState.OPEN)
    assert sorted(a.target for a in open_alerts) == ["L1/CNC1", "L1/CNC2"]
    cnc1 = next(a for a in open_alerts if a.target == "L1/CNC1")
    assert cnc1.occurrences == 18  # 20 samples, the first two were the pending duration


def test_hysteresis_keeps_the_alert_open_until_the_clear_threshold() -> None:
    engine = engine_with(TEMP.model_copy(update={"duration_s": 0}))
    first = feed(engine, sample(85, 0))[0]
    assert feed(engine, sample(79, 10), sample(75, 20), sample(81, 30), sample(71, 40)) == []
    resolved = feed(engine, sample(69, 50))
    assert [(a.id, a.state) for a in resolved] == [(first.id, AlertState.RESOLVED)]
    again = feed(engine, sample(85, 60))
    assert len(again) == 1 and again[0].id != first.id
    assert [t.state for t in engine.history()] == [AlertState.OPEN, AlertState.RESOLVED, AlertState.OPEN]


def test_below_rules_and_targets_outside_the_glob() -> None:
    low = AlertRule(
        id="pressure-low", name="Low pressure", kind=RuleKind.THRESHOLD, metric="pressure_bar",
        direction=Direction.BELOW, threshold=4.0, clear_threshold=4.5,
    )  # fmt: skip
    engine = engine_with(low, TEMP)
    assert feed(engine, sample(3.5, 0, metric="pressure_bar"))[0].rule_id == "pressure-low"
    assert feed(engine, sample(4.2, 10, metric="pressure_bar")) == []
    assert feed(engine, sample(4.6, 20, metric="pressure_bar"))[0].state is AlertState.RESOLVED
    assert feed(engine, *(sample(99, s, target="L2/CNC1") for s in range(0, 300, 30))) == []


def test_rate_of_change_uses_the_change_per_second_over_the_window() -> None:
    rule = AlertRule(
        id="vib-rising", name="Vibration rising", kind=RuleKind.RATE_OF_CHANGE, metric="vibration_mm_s",
        threshold=0.015, clear_threshold=0.0, window_s=120,
    )  # fmt: skip
    engine = engine_with(rule)
    # 0.5 mm/s per minute = 0.0083/s: below the threshold
    assert feed(engine, *(sample(2 + 0.5 * m, 60 * m, metric="vibration_mm_s") for m in range(5))) == []
    # then 1.2 mm/s per minute = 0.02/s
    opened = feed(engine, *(sample(4 + 1.2 * m, 300 + 60 * m, metric="vibration_mm_s") for m in range(1, 4)))
    assert [a.state for a in opened] == [AlertState.OPEN]
    assert opened[0].value == pytest.approx(0.02, rel=0.3)
    flat = feed(engine, *(sample(7.6, 600 + 60 * m, metric="vibration_mm_s") for m in range(4)))
    assert [a.state for a in flat] == [AlertState.RESOLVED]


def event(type_: str, path: str, after_s: float, key: int) -> EventEnvelope:
    return EventEnvelope.create(
        type=type_, source="mes", key=(key,), occurred_at=T0 + timedelta(seconds=after_s), equipment_path=path
    )


def test_event_rules_match_by_type_glob_dedupe_and_resolve_on_acknowledgement() -> None:
    rule = AlertRule(id="breakdown", name="Breakdown", kind=RuleKind.EVENT, event_type="Equipment*Failed")
    engine = engine_with(rule)
    opened = engine.observe_event(event("EquipmentHydraulicFailed", "site/L1/CNC1", 0, 1))
    assert engine.observe_event(event("EquipmentHydraulicFailed", "site/L1/CNC1", 5, 2)) == []
    assert engine.observe_event(event("OperationCompleted", "site/L1/CNC1", 6, 3)) == []
    assert engine.get(opened[0].id).occurrences == 2
    acked = engine.acknowledge(opened[0].id, by="ann")
    assert acked.state is AlertState.RESOLVED and acked.acknowledged_by == "ann"
    states = [t.state for t in engine.history(opened[0].id)]
    assert states == [AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.RESOLVED]


def test_a_clearing_event_resolves_an_event_alert() -> None:
    rule = AlertRule(
        id="down", name="Down", kind=RuleKind.EVENT, event_type="EquipmentStopped",
        clear_event_type="EquipmentStarted",
    )  # fmt: skip
    engine = engine_with(rule)
    opened = engine.observe_event(event("EquipmentStopped", "site/L2/M1", 0, 1))[0]
    assert engine.acknowledge(opened.id, by="bob").state is AlertState.ACKNOWLEDGED
    resolved = engine.observe_event(event("EquipmentStarted", "site/L2/M1", 60, 2))
    assert [(a.id, a.state) for a in resolved] == [(opened.id, AlertState.RESOLVED)]


def test_acknowledging_twice_or_an_unknown_alert_fails_and_threshold_alerts_resolve_later() -> None:
    engine = engine_with(TEMP.model_copy(update={"duration_s": 0}))
    alert = feed(engine, sample(90, 0))[0]
    assert engine.acknowledge(alert.id, by="ann", note="on it").state is AlertState.ACKNOWLEDGED
    with pytest.raises(Conflict):
        engine.acknowledge(alert.id, by="ann")
    with pytest.raises(NotFound):
        engine.acknowledge("nope", by="ann")
    assert feed(engine, sample(90, 10)) == []  # still the same (acknowledged) alert
    assert feed(engine, sample(60, 20))[0].state is AlertState.RESOLVED
    assert engine.history(alert.id)[1].note == "on it"


def test_ack_tokens_round_trip_and_reject_tampering_and_other_keys() -> None:
    tokens = AckTokens(SECRET, "http://plant/api/v1/alerts/ack")
    token = tokens.token("alert-1")
    assert tokens.verify(token) == "alert-1"
    assert tokens.url("alert-1").startswith("http://plant/api/v1/alerts/ack?token=")
    with pytest.raises(InvalidInput):
        tokens.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(InvalidInput):
        AckTokens("another-secret-of-at-least-32-bytes", "http://x").verify(token)
    with pytest.raises(InvalidInput):
        AckTokens(SECRET, "http://x", ttl_s=-10).verify(AckTokens(SECRET, "http://x", ttl_s=-10).token("a"))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "threshold", "metric": "t"},
        {"kind": "threshold", "metric": "t", "threshold": 80, "clear_threshold": 90},
        {"kind": "threshold", "metric": "t", "threshold": 4, "clear_threshold": 3, "direction": "below"},
        {"kind": "event"},
        {"kind": "rate_of_change", "threshold": 1},
    ],
)
def test_inconsistent_rules_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AlertRule.model_validate({"id": "r", "name": "r", **fields})


def test_resolved_alerts_and_old_history_are_pruned_but_open_ones_kept() -> None:
    from datetime import UTC, datetime, timedelta

    from plantloop.kernel.clock import FakeClock
    from plantloop.kernel.envelope import EventEnvelope
    from plantloop.reports.alerts import AlertEngine, AlertRule, AlertState, RuleKind

    clock = FakeClock(datetime(2026, 1, 5, tzinfo=UTC))
    engine = AlertEngine(clock=clock, keep_resolved=3, keep_history=10)
    engine.put_rule(
        AlertRule(id="down", name="down", kind=RuleKind.EVENT, event_type="Down", clear_event_type="Up")
    )

    def event(kind: str, target: str, minutes: int) -> EventEnvelope:
        at = clock.now() + timedelta(minutes=minutes)
        return EventEnvelope.create(
            type=kind, source="mes", key=(kind, target, minutes), subject=target, occurred_at=at, payload={}
        )

    for i in range(6):
        engine.observe_event(event("Down", f"M{i}", 2 * i))
        engine.observe_event(event("Up", f"M{i}", 2 * i + 1))
    engine.observe_event(event("Down", "STILL", 99))
    states = [a.state for a in engine.alerts()]
    assert states.count(AlertState.RESOLVED) == 3 and states.count(AlertState.OPEN) == 1
    assert {a.target for a in engine.alerts(AlertState.RESOLVED)} == {"M3", "M4", "M5"}
    assert len(engine.history()) <= 11
