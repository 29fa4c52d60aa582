"""Alert configuration: rules and push channels from YAML, and the engine wired to them.

The shipped rules (``definitions/alerts.yaml``) apply unless the plant provides its own file. Channels are
plant-specific (webhook URLs and signing secrets, mail recipients), so they live only in the plant's file::

    channels:
      - {name: shift-leads, kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=…",
         secret: "SEC…"}
      - {name: quality-mail, kind: email, to: [quality@plant.example]}
    rules:
      - {id: equipment-down, ..., channels: [shift-leads]}

Notifications leave the caller's thread: the engine is evaluated on the MES event path, and a slow chat
server must not delay the big screen, so pushes run on a single background worker in order.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plantloop.kernel.clock import Clock
from plantloop.kernel.errors import InvalidInput
from plantloop.reports.alert_store import AlertBacking
from plantloop.reports.alerts import Alert, AlertEngine, AlertRule
from plantloop.reports.channels import AlertNotifier, Channel, EmailChannel, WebhookChannel, WebhookFlavor
from plantloop.reports.distribution import Mailer

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parent / "definitions" / "alerts.yaml"


class AlertConfigError(InvalidInput):
    code = "alert_config_invalid"


class ChannelSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["dingtalk", "wecom", "feishu", "webhook", "email"]
    url: str | None = None
    secret: str | None = None
    to: list[str] = Field(default_factory=list)


class AlertConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[AlertRule] = Field(default_factory=list)
    channels: list[ChannelSpec] = Field(default_factory=list)


def load_alert_config(path: Path | None = None) -> AlertConfig:
    path = path or SHIPPED
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return AlertConfig.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise AlertConfigError(f"{path}: {exc}", path=str(path)) from None


def build_channels(config: AlertConfig, mailer: Mailer | None, sender: str) -> list[Channel]:
    out: list[Channel] = []
    for spec in config.channels:
        if spec.kind == "email":
            if mailer is None:
                log.warning("alert channel %s: e-mail is not configured (smtp_host); skipped", spec.name)
                continue
            out.append(EmailChannel(spec.name, mailer, spec.to, sender))
        else:
            if not spec.url:
                raise AlertConfigError(f"alert channel {spec.name!r} needs a url", channel=spec.name)
            flavor = WebhookFlavor.GENERIC if spec.kind == "webhook" else WebhookFlavor(spec.kind)
            out.append(WebhookChannel(spec.name, spec.url, flavor, secret=spec.secret))
    return out


class BackgroundNotifier:
    """Runs another notifier's pushes on one background worker (in order, off the event path)."""

    def __init__(self, inner: AlertNotifier) -> None:
        self.inner = inner
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-push")

    def notify(self, alert: Alert, rule: AlertRule) -> None:
        self._pool.submit(self._push, alert, rule)

    def _push(self, alert: Alert, rule: AlertRule) -> None:
        try:
            self.inner.notify(alert, rule)
        except Exception:
            log.exception("pushing alert %s failed", alert.id)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def build_engine(
    config: AlertConfig,
    *,
    clock: Clock,
    mailer: Mailer | None = None,
    sender: str = "plantloop@localhost",
    ack_url: object = None,
    backing: AlertBacking | None = None,
) -> tuple[AlertEngine, BackgroundNotifier | None]:
    """The engine with ``config``'s rules, pushing to its channels in the background (if any)."""
    channels = build_channels(config, mailer, sender)
    notifier = None
    if channels:
        notifier = BackgroundNotifier(AlertNotifier(channels, ack_url=ack_url))  # type: ignore[arg-type]
    engine = AlertEngine(notifier, clock=clock, backing=backing)
    for rule in config.rules:
        engine.put_rule(rule)
    return engine, notifier
