"""Alert push: chat webhook bodies and signatures, and a failing channel not stopping the others."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, datetime

import httpx

from plantloop.reports.alerts import (
    Alert,
    AlertEngine,
    AlertRule,
    AlertState,
    MetricSample,
    RuleKind,
    Severity,
)
from plantloop.reports.channels import (
    AlertNotifier,
    WebhookChannel,
    WebhookFlavor,
    dingtalk_signed_url,
    feishu_sign,
    webhook_body,
)

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ALERT = Alert(
    id="a1", rule_id="r1", rule_name="Spindle too hot", target="L1/CNC1", severity=Severity.CRITICAL,
    state=AlertState.OPEN, message="spindle 91 above 80", value=91, opened_at=AT, last_seen_at=AT,
)  # fmt: skip
RULE = AlertRule(
    id="r1", name="Spindle too hot", kind=RuleKind.THRESHOLD, metric="t", threshold=80, channels=["a", "b"]
)


def test_each_platform_gets_its_documented_markdown_and_text_shape() -> None:
    ding = webhook_body(WebhookFlavor.DINGTALK, ALERT, "http://ack")
    assert ding["msgtype"] == "markdown" and set(ding["markdown"]) == {"title", "text"}
    assert "[Acknowledge / 确认](http://ack)" in ding["markdown"]["text"]
    wecom = webhook_body(WebhookFlavor.WECOM, ALERT, None)
    assert wecom == {"msgtype": "markdown", "markdown": {"content": wecom["markdown"]["content"]}}
    assert "Spindle too hot" in wecom["markdown"]["content"]
    feishu = webhook_body(WebhookFlavor.FEISHU, ALERT, "http://ack")
    assert feishu["msg_type"] == "interactive"
    assert feishu["card"]["elements"][0]["tag"] == "markdown"
    assert feishu["card"]["header"]["title"]["content"].startswith("[CRITICAL]")
    assert webhook_body(WebhookFlavor.DINGTALK, ALERT, None, markdown=False)["text"]["content"].startswith(
        "[CRITICAL]"
    )
    assert webhook_body(WebhookFlavor.WECOM, ALERT, None, markdown=False)["msgtype"] == "text"
    assert "spindle 91" in webhook_body(WebhookFlavor.FEISHU, ALERT, None, markdown=False)["content"]["text"]
    assert webhook_body(WebhookFlavor.GENERIC, ALERT, "http://ack")["alert"]["id"] == "a1"


def test_dingtalk_and_feishu_signatures_follow_their_recipes() -> None:
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC", 1700000000000)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    expected = base64.b64encode(hmac.new(b"SEC", b"1700000000000\nSEC", hashlib.sha256).digest()).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]
    assert query["access_token"] == ["t"]
    feishu = base64.b64encode(hmac.new(b"1700000000\nSEC", b"", hashlib.sha256).digest()).decode()
    assert feishu_sign("SEC", 1700000000) == feishu


class Recorder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, str | None]] = []

    def send(self, alert: Alert, rule: AlertRule, ack_url: str | None) -> None:
        self.sent.append((alert.state.value, ack_url))


def test_opened_and_resolved_alerts_reach_every_channel_even_when_one_fails() -> None:
    refused = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    good = Recorder("b")
    notifier = AlertNotifier(
        [WebhookChannel("a", "http://chat.invalid/hook", WebhookFlavor.WECOM, client=refused), good],
        ack_url=lambda alert_id: f"http://ack/{alert_id}",
    )
    engine = AlertEngine(notifier)
    rule = RULE.model_copy(update={"channels": ["a", "b", "missing"]})
    engine.put_rule(rule)
    opened = engine.observe(MetricSample(metric="t", target="x", value=90, at=AT))[0]
    engine.observe(MetricSample(metric="t", target="x", value=10, at=AT))
    assert good.sent == [("open", f"http://ack/{opened.id}"), ("resolved", None)]
    failures = [d for d in notifier.deliveries if not d.ok]
    assert {d.channel for d in failures} == {"a", "missing"}
    assert all(d.ok for d in notifier.deliveries if d.channel == "b")
