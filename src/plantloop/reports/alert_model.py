"""The alert model: rules, samples, alerts, their transitions, the notifier's interface and signed
acknowledgement links. The engine that evaluates rules is :mod:`plantloop.reports.alerts`.
"""

from __future__ import annotations

import time
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import jwt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from plantloop.kernel.errors import Conflict, InvalidInput, NotFound


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertConflict(Conflict):
    code = "alert_conflict"


class InvalidAckToken(InvalidInput):
    code = "invalid_ack_token"


class RuleKind(StrEnum):
    THRESHOLD = "threshold"
    RATE_OF_CHANGE = "rate_of_change"
    EVENT = "event"


class Direction(StrEnum):
    ABOVE = "above"
    BELOW = "below"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: RuleKind
    severity: Severity = Severity.WARNING
    metric: str | None = Field(default=None, description="Metric name (threshold / rate_of_change).")
    target: str = Field(default="*", description="Glob on the sample's target / the event's equipment path.")
    direction: Direction = Direction.ABOVE
    threshold: float | None = Field(default=None, description="Value, or change per second for rates.")
    clear_threshold: float | None = Field(default=None, description="Resolve past this (default: threshold).")
    duration_s: float = Field(default=0.0, ge=0)
    window_s: float = Field(default=300.0, gt=0, description="Look-back of rate_of_change.")
    event_type: str | None = Field(default=None, description="Glob on the event type (event rules).")
    clear_event_type: str | None = None
    channels: list[str] = Field(default_factory=list, description="Notifier channel names.")
    enabled: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> AlertRule:
        if self.kind is RuleKind.EVENT:
            if not self.event_type:
                raise ValueError("an event rule needs event_type")
            return self
        if not self.metric or self.threshold is None:
            raise ValueError(f"a {self.kind.value} rule needs metric and threshold")
        clear = self.clear_at
        if (self.direction is Direction.ABOVE and clear > self.threshold) or (
            self.direction is Direction.BELOW and clear < self.threshold
        ):
            raise ValueError("clear_threshold must lie on the normal side of threshold")
        return self

    @property
    def clear_at(self) -> float:
        assert self.threshold is not None
        return self.threshold if self.clear_threshold is None else self.clear_threshold

    def breached(self, value: float) -> bool:
        assert self.threshold is not None
        return value > self.threshold if self.direction is Direction.ABOVE else value < self.threshold

    def cleared(self, value: float) -> bool:
        return value <= self.clear_at if self.direction is Direction.ABOVE else value >= self.clear_at


class MetricSample(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    target: str
    value: float
    at: datetime


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    rule_name: str
    target: str
    severity: Severity
    state: AlertState
    message: str
    value: float | None = None
    opened_at: datetime
    last_seen_at: datetime
    occurrences: int = 1
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None


class AlertTransition(BaseModel):
    model_config = ConfigDict(frozen=True)

    alert_id: str
    rule_id: str
    target: str
    state: AlertState
    at: datetime
    by: str | None = None
    note: str | None = None


class AlertNotifier(Protocol):
    def notify(self, alert: Alert, rule: AlertRule) -> None: ...


class AckTokens:
    """Signed, expiring acknowledgement links (HS256 JWT naming the alert), for mail and chat buttons."""

    def __init__(self, secret: str, base_url: str, ttl_s: int = 7 * 24 * 3600) -> None:
        self.secret = secret
        self.base_url = base_url
        self.ttl_s = ttl_s

    def token(self, alert_id: str) -> str:
        now = int(time.time())
        claims = {"alert": alert_id, "purpose": "alert_ack", "iat": now, "exp": now + self.ttl_s}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def url(self, alert_id: str) -> str:
        return f"{self.base_url}?token={self.token(alert_id)}"

    def verify(self, token: str) -> str:
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            raise InvalidAckToken(f"invalid acknowledgement token: {exc}") from None
        if claims.get("purpose") != "alert_ack" or not isinstance(claims.get("alert"), str):
            raise InvalidAckToken("not an acknowledgement token")
        return str(claims["alert"])
