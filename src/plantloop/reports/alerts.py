"""Rule-based alerts on metrics and events: rules, the dedupe / duration / hysteresis engine,
acknowledgement (by id or by a signed callback token) and the alert history.

Rules come in three kinds:

- ``threshold``: a metric sample above (or below) ``threshold`` for at least ``duration_s`` opens an alert;
  it resolves only when the value is back past ``clear_threshold`` (hysteresis: no flapping around one line);
- ``rate_of_change``: the same, on the metric's change per second over the last ``window_s``;
- ``event``: an event whose type matches ``event_type`` (glob) opens an alert; ``clear_event_type``
  resolves it, or (without one) acknowledging it does.

At most one unresolved alert exists per rule × target; further breaches or events count as
``occurrences`` on it. Every state change is appended to the history, and written through to the backing
when there is one (``alert_store.py``: a restart keeps alerts, acknowledgements and history). Pushing to
people is the notifier's job (:mod:`plantloop.reports.channels`); the engine calls it on open and resolve.

Errors: ``AlertNotFound`` (NotFound), ``AlertConflict`` (Conflict, e.g. acknowledging a resolved alert),
``InvalidAckToken`` (InvalidInput), ``InvalidInput`` for an inconsistent rule.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from plantloop.kernel.clock import Clock, SystemClock, ensure_utc
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.ids import deterministic_id
from plantloop.reports.alert_model import (
    AckTokens,
    Alert,
    AlertConflict,
    AlertNotFound,
    AlertNotifier,
    AlertRule,
    AlertState,
    AlertTransition,
    Direction,
    InvalidAckToken,
    MetricSample,
    RuleKind,
    Severity,
)

if TYPE_CHECKING:
    from plantloop.reports.alert_store import AlertBacking

__all__ = [
    "AckTokens",
    "Alert",
    "AlertConflict",
    "AlertEngine",
    "AlertNotFound",
    "AlertNotifier",
    "AlertRule",
    "AlertState",
    "AlertTransition",
    "Direction",
    "InvalidAckToken",
    "MetricSample",
    "RuleKind",
    "Severity",
]


Key = tuple[str, str]


class AlertEngine:
    """Evaluates samples and events against the rules; thread-safe (API and collectors call it)."""

    def __init__(
        self,
        notifier: AlertNotifier | None = None,
        clock: Clock | None = None,
        *,
        keep_resolved: int = 5_000,
        keep_history: int = 50_000,
        backing: AlertBacking | None = None,
    ) -> None:
        self.notifier = notifier
        self.clock = clock or SystemClock()
        #: A plant runs for years: resolved alerts and their transitions beyond these counts are dropped,
        #: oldest first (open and acknowledged alerts are always kept).
        self.keep_resolved = keep_resolved
        self.keep_history = keep_history
        self._lock = threading.RLock()
        self._rules: dict[str, AlertRule] = {}
        self._alerts: dict[str, Alert] = {}
        self._open: dict[Key, str] = {}
        self._pending_since: dict[Key, datetime] = {}
        self._windows: dict[Key, deque[tuple[datetime, float]]] = {}
        self._history: list[AlertTransition] = []
        #: every state change is written through to it; what it holds is restored now (``alert_store.py``)
        self.backing = backing
        if backing is not None:
            alerts, self._history = backing.load(keep_resolved, keep_history)
            for alert in alerts:
                self._alerts[alert.id] = alert
                if alert.state is not AlertState.RESOLVED:
                    self._open[(alert.rule_id, alert.target)] = alert.id

    # -- rules ----------------------------------------------------------------------------------
    def put_rule(self, rule: AlertRule) -> AlertRule:
        """Add or replace a rule (its open alerts stay)."""
        with self._lock:
            self._rules[rule.id] = rule
            return rule

    def rules(self) -> list[AlertRule]:
        with self._lock:
            return list(self._rules.values())

    # -- input ----------------------------------------------------------------------------------
    def observe(self, sample: MetricSample) -> list[Alert]:
        """Evaluate a metric sample; returns alerts that opened or resolved because of it."""
        changed: list[Alert] = []
        at = ensure_utc(sample.at)
        with self._lock:
            for rule in self._rules.values():
                if not rule.enabled or rule.kind is RuleKind.EVENT or rule.metric != sample.metric:
                    continue
                if not fnmatch.fnmatchcase(sample.target, rule.target):
                    continue
                key = (rule.id, sample.target)
                value = sample.value
                if rule.kind is RuleKind.RATE_OF_CHANGE:
                    rate = self._rate(key, rule, at, value)
                    if rate is None:
                        continue
                    value = rate
                changed += self._evaluate(rule, key, value, at)
        self._push(changed)
        return changed

    def observe_event(self, event: EventEnvelope) -> list[Alert]:
        """Evaluate an event; the target is its equipment path (else its subject, else its source)."""
        target = event.equipment_path or event.subject or event.source
        changed: list[Alert] = []
        with self._lock:
            for rule in self._rules.values():
                if not rule.enabled or rule.kind is not RuleKind.EVENT:
                    continue
                if not fnmatch.fnmatchcase(target, rule.target):
                    continue
                key = (rule.id, target)
                open_id = self._open.get(key)
                if rule.clear_event_type and fnmatch.fnmatchcase(event.type, rule.clear_event_type):
                    if open_id:
                        changed.append(self._resolve(open_id, event.occurred_at, note=event.type))
                elif rule.event_type and fnmatch.fnmatchcase(event.type, rule.event_type):
                    message = f"{rule.name}: {event.type} on {target}"
                    changed += self._open_or_count(rule, key, None, event.occurred_at, message)
        self._push(changed)
        return changed

    # -- acknowledgement and queries --------------------------------------------------------------
    def acknowledge(self, alert_id: str, by: str, note: str | None = None) -> Alert:
        """Acknowledge an alert; event alerts without a clearing event resolve on acknowledgement."""
        with self._lock:
            alert = self.get(alert_id)
            if alert.state is not AlertState.OPEN:
                raise AlertConflict(f"alert {alert_id} is {alert.state.value}", alert_id=alert_id)
            now = self.clock.now()
            alert = self._set(
                alert.model_copy(
                    update={"state": AlertState.ACKNOWLEDGED, "acknowledged_at": now, "acknowledged_by": by}
                ),
                by=by,
                note=note,
            )
            rule = self._rules.get(alert.rule_id)
            if rule is not None and rule.kind is RuleKind.EVENT and not rule.clear_event_type:
                alert = self._resolve(alert.id, now, by=by, note="resolved by acknowledgement")
            return alert

    def get(self, alert_id: str) -> Alert:
        with self._lock:
            try:
                return self._alerts[alert_id]
            except KeyError:
                raise AlertNotFound(f"no alert {alert_id!r}", alert_id=alert_id) from None

    def alerts(self, state: AlertState | None = None) -> list[Alert]:
        with self._lock:
            found = [a for a in self._alerts.values() if state is None or a.state is state]
        return sorted(found, key=lambda a: a.opened_at, reverse=True)

    def history(self, alert_id: str | None = None) -> list[AlertTransition]:
        with self._lock:
            return [t for t in self._history if alert_id is None or t.alert_id == alert_id]

    # -- internals --------------------------------------------------------------------------------
    def _rate(self, key: Key, rule: AlertRule, at: datetime, value: float) -> float | None:
        window = self._windows.setdefault(key, deque())
        if window and at <= window[-1][0]:
            return None  # late or duplicate sample: rates need time order
        window.append((at, value))
        while (at - window[0][0]).total_seconds() > rule.window_s:
            window.popleft()
        first_at, first_value = window[0]
        span_s = (at - first_at).total_seconds()
        return None if span_s <= 0 else (value - first_value) / span_s

    def _evaluate(self, rule: AlertRule, key: Key, value: float, at: datetime) -> list[Alert]:
        open_id = self._open.get(key)
        if open_id is not None:
            if rule.cleared(value):
                return [self._resolve(open_id, at, note=f"value {value:g}")]
            if rule.breached(value):
                self._count(open_id, at, value)
            return []
        if not rule.breached(value):
            self._pending_since.pop(key, None)
            return []
        since = self._pending_since.setdefault(key, at)
        if (at - since).total_seconds() < rule.duration_s:
            return []
        del self._pending_since[key]
        word = "above" if rule.direction is Direction.ABOVE else "below"
        unit = "/s" if rule.kind is RuleKind.RATE_OF_CHANGE else ""
        message = (
            f"{rule.name}: {rule.metric} on {key[1]} is {value:g}{unit}, {word} {rule.threshold:g}{unit}"
        )
        return self._open_or_count(rule, key, value, since, message)

    def _open_or_count(
        self, rule: AlertRule, key: Key, value: float | None, at: datetime, message: str
    ) -> list[Alert]:
        at = ensure_utc(at)
        open_id = self._open.get(key)
        if open_id is not None:
            self._count(open_id, at, value)
            return []
        alert = Alert(
            id=deterministic_id("alert", rule.id, key[1], at),
            rule_id=rule.id,
            rule_name=rule.name,
            target=key[1],
            severity=rule.severity,
            state=AlertState.OPEN,
            message=message,
            value=value,
            opened_at=at,
            last_seen_at=at,
        )
        self._open[key] = alert.id
        return [self._set(alert)]

    def _count(self, alert_id: str, at: datetime, value: float | None) -> None:
        """One more occurrence on an unresolved alert, written through (no state change, no transition)."""
        alert = self._alerts[alert_id]
        update: dict[str, object] = {"occurrences": alert.occurrences + 1, "last_seen_at": at}
        if value is not None:
            update["value"] = value
        counted = self._alerts[alert_id] = alert.model_copy(update=update)
        if self.backing is not None:
            self.backing.touch(counted)

    def _resolve(self, alert_id: str, at: datetime, by: str | None = None, note: str | None = None) -> Alert:
        alert = self._alerts[alert_id]
        self._open.pop((alert.rule_id, alert.target), None)
        resolved = alert.model_copy(update={"state": AlertState.RESOLVED, "resolved_at": ensure_utc(at)})
        return self._set(resolved, by=by, note=note)

    def _set(self, alert: Alert, by: str | None = None, note: str | None = None) -> Alert:
        self._alerts[alert.id] = alert
        when = {
            AlertState.OPEN: alert.opened_at,
            AlertState.ACKNOWLEDGED: alert.acknowledged_at,
            AlertState.RESOLVED: alert.resolved_at,
        }[alert.state]
        transition = AlertTransition(
            alert_id=alert.id,
            rule_id=alert.rule_id,
            target=alert.target,
            state=alert.state,
            at=when or self.clock.now(),
            by=by,
            note=note,
        )
        if self.backing is not None:
            self.backing.save(alert, transition)
        self._history.append(transition)
        if alert.state is AlertState.RESOLVED:
            self._prune()
        return alert

    def _prune(self) -> None:
        resolved = [a for a in self._alerts.values() if a.state is AlertState.RESOLVED]
        if len(resolved) > self.keep_resolved:
            resolved.sort(key=lambda a: a.resolved_at or a.opened_at)
            dropped = [old.id for old in resolved[: len(resolved) - self.keep_resolved]]
            for alert_id in dropped:
                del self._alerts[alert_id]
            if self.backing is not None:
                self.backing.forget(dropped)
        if len(self._history) > self.keep_history:
            del self._history[: len(self._history) - self.keep_history]

    def _push(self, changed: list[Alert]) -> None:
        if self.notifier is None:
            return
        for alert in changed:
            rule = self._rules.get(alert.rule_id)
            if rule is not None and alert.state is not AlertState.ACKNOWLEDGED:
                self.notifier.notify(alert, rule)
