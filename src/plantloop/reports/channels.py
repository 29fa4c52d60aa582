"""Pushing alerts to people: e-mail and chat webhooks with DingTalk, WeCom and Feishu message bodies.

Body formats follow each platform's documented custom-robot messages:

- DingTalk (钉钉): ``{"msgtype": "markdown", "markdown": {"title", "text"}}`` or ``{"msgtype": "text",
  "text": {"content"}}``; with a signing secret, ``timestamp`` (ms) and ``sign`` =
  base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")) go in the query string.
- WeCom (企业微信): ``{"msgtype": "markdown", "markdown": {"content"}}`` or ``{"msgtype": "text",
  "text": {"content"}}``; the key is part of the URL.
- Feishu (飞书): ``{"msg_type": "interactive", "card": {...markdown element...}}`` or ``{"msg_type":
  "text", "content": {"text"}}``; with a secret, ``timestamp`` (s) and ``sign`` =
  base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")) go in the body.
- generic: the alert as JSON, plus the acknowledgement URL.

A failing channel never stops the others; every attempt is recorded in ``AlertNotifier.deliveries``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

import httpx

from plantloop.reports.alerts import Alert, AlertRule, AlertState
from plantloop.reports.distribution import Mailer


class WebhookFlavor(StrEnum):
    DINGTALK = "dingtalk"
    WECOM = "wecom"
    FEISHU = "feishu"
    GENERIC = "generic"


class Channel(Protocol):
    name: str

    def send(self, alert: Alert, rule: AlertRule, ack_url: str | None) -> None: ...


def alert_title(alert: Alert) -> str:
    state = "RESOLVED" if alert.state is AlertState.RESOLVED else alert.severity.value.upper()
    return f"[{state}] {alert.rule_name} — {alert.target}"


def alert_markdown(alert: Alert, ack_url: str | None) -> str:
    lines = [
        f"### {alert_title(alert)}",
        f"- {alert.message}",
        f"- opened: {alert.opened_at:%Y-%m-%d %H:%M:%S} UTC",
        f"- occurrences: {alert.occurrences}",
    ]
    if alert.resolved_at:
        lines.append(f"- resolved: {alert.resolved_at:%Y-%m-%d %H:%M:%S} UTC")
    if ack_url and alert.state is AlertState.OPEN:
        lines.append(f"- [Acknowledge / 确认]({ack_url})")
    return "\n".join(lines)


def alert_text(alert: Alert, ack_url: str | None) -> str:
    text = f"{alert_title(alert)}\n{alert.message}\nopened {alert.opened_at:%Y-%m-%d %H:%M:%S} UTC"
    if ack_url and alert.state is AlertState.OPEN:
        text += f"\nAcknowledge / 确认: {ack_url}"
    return text


def webhook_body(
    flavor: WebhookFlavor, alert: Alert, ack_url: str | None, *, markdown: bool = True
) -> dict[str, Any]:
    """The JSON body a platform's custom robot expects for ``alert``."""
    md, text = alert_markdown(alert, ack_url), alert_text(alert, ack_url)
    if flavor is WebhookFlavor.DINGTALK:
        if markdown:
            return {"msgtype": "markdown", "markdown": {"title": alert_title(alert), "text": md}}
        return {"msgtype": "text", "text": {"content": text}}
    if flavor is WebhookFlavor.WECOM:
        if markdown:
            return {"msgtype": "markdown", "markdown": {"content": md}}
        return {"msgtype": "text", "text": {"content": text}}
    if flavor is WebhookFlavor.FEISHU:
        if markdown:
            colour = "green" if alert.state is AlertState.RESOLVED else "red"
            return {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "title": {"tag": "plain_text", "content": alert_title(alert)},
                        "template": colour,
                    },
                    "elements": [{"tag": "markdown", "content": md}],
                },
            }
        return {"msg_type": "text", "content": {"text": text}}
    return {"alert": alert.model_dump(mode="json"), "ack_url": ack_url}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class WebhookChannel:
    """POSTs alerts to a chat robot (or any HTTP endpoint) with the flavor's body and signature."""

    def __init__(
        self,
        name: str,
        url: str,
        flavor: WebhookFlavor = WebhookFlavor.GENERIC,
        *,
        secret: str | None = None,
        markdown: bool = True,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.flavor = flavor
        self.secret = secret
        self.markdown = markdown
        self.timeout_s = timeout_s
        self.client = client

    def send(self, alert: Alert, rule: AlertRule, ack_url: str | None) -> None:
        body = webhook_body(self.flavor, alert, ack_url, markdown=self.markdown)
        url = self.url
        if self.secret and self.flavor is WebhookFlavor.DINGTALK:
            url = dingtalk_signed_url(url, self.secret, int(time.time() * 1000))
        elif self.secret and self.flavor is WebhookFlavor.FEISHU:
            now_s = int(time.time())
            body = {"timestamp": str(now_s), "sign": feishu_sign(self.secret, now_s), **body}
        if self.client is not None:
            response = self.client.post(url, json=body, timeout=self.timeout_s)
        else:
            response = httpx.post(url, json=body, timeout=self.timeout_s)
        response.raise_for_status()


class EmailChannel:
    """Mails alerts to fixed recipients through a :class:`~plantloop.reports.distribution.Mailer`."""

    def __init__(self, name: str, mailer: Mailer, to: list[str], sender: str = "plantloop@localhost") -> None:
        self.name = name
        self.mailer = mailer
        self.to = to
        self.sender = sender

    def send(self, alert: Alert, rule: AlertRule, ack_url: str | None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = alert_title(alert)
        message.set_content(alert_text(alert, ack_url))
        self.mailer.send(message)


@dataclass(frozen=True)
class NotificationAttempt:
    alert_id: str
    channel: str
    state: AlertState
    ok: bool
    at: datetime
    error: str | None = None


class AlertNotifier:
    """Sends each alert change to its rule's channels; ``ack_url(alert_id)`` builds the ack link."""

    def __init__(
        self,
        channels: list[Channel],
        *,
        ack_url: Callable[[str], str] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.channels = {c.name: c for c in channels}
        self.ack_url = ack_url
        self._now = now or (lambda: datetime.now().astimezone())
        self.deliveries: list[NotificationAttempt] = []

    def notify(self, alert: Alert, rule: AlertRule) -> None:
        link = self.ack_url(alert.id) if self.ack_url and alert.state is AlertState.OPEN else None
        for name in rule.channels:
            channel = self.channels.get(name)
            if channel is None:
                self._record(alert, name, f"no channel {name!r}")
                continue
            try:
                channel.send(alert, rule, link)
            except (httpx.HTTPError, OSError, ValueError) as exc:
                self._record(alert, name, f"{type(exc).__name__}: {exc}")
            else:
                self._record(alert, name, None)

    def _record(self, alert: Alert, channel: str, error: str | None) -> None:
        self.deliveries.append(
            NotificationAttempt(alert.id, channel, alert.state, error is None, self._now(), error)
        )
