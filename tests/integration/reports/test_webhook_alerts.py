"""Alerts pushed to a real local HTTP server (chat-robot stand-in) and by SMTP, acknowledged back
through the API with the signed link carried in the message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from plantloop.api.errors import install_error_handlers
from plantloop.api.routes import alerts as alert_routes
from plantloop.reports.alerts import AckTokens, AlertEngine, AlertRule, AlertState, MetricSample, RuleKind
from plantloop.reports.channels import AlertNotifier, EmailChannel, WebhookChannel, WebhookFlavor
from plantloop.reports.distribution import SmtpMailer, SmtpSettings
from tests.integration.reports.conftest import Inbox

SECRET = "integration-ack-secret-0123456789abcdef"
ROBOT_SECRET = "SEC-robot-signing-secret"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class Received:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()


@pytest.fixture
def robot() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with received.lock:
                received.requests.append((self.path, body))
            reply = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_alert_reaches_dingtalk_wecom_feishu_and_mail_and_is_acknowledged_by_its_link(
    robot: tuple[str, Received], smtp: tuple[Inbox, int]
) -> None:
    base, received = robot
    inbox, port = smtp
    tokens = AckTokens(SECRET, "http://testserver/api/alerts/ack")
    notifier = AlertNotifier(
        [
            WebhookChannel("ding", f"{base}/robot/send?access_token=abc", WebhookFlavor.DINGTALK,
                           secret=ROBOT_SECRET),
            WebhookChannel("wecom", f"{base}/cgi-bin/webhook/send?key=k1", WebhookFlavor.WECOM),
            WebhookChannel("feishu", f"{base}/open-apis/bot/v2/hook/h1", WebhookFlavor.FEISHU,
                           secret=ROBOT_SECRET),
            EmailChannel("mail", SmtpMailer(SmtpSettings(host="127.0.0.1", port=port)),
                         ["shift@plant.example"]),
        ],
        ack_url=tokens.url,
    )  # fmt: skip
    engine = AlertEngine(notifier)
    engine.put_rule(
        AlertRule(
            id="hot", name="Spindle too hot", kind=RuleKind.THRESHOLD, metric="spindle_temperature_c",
            threshold=80, clear_threshold=70, duration_s=60, channels=["ding", "wecom", "feishu", "mail"],
        )
    )  # fmt: skip
    for second in range(0, 300, 30):  # 10 breaching samples → one alert, pushed once per channel
        engine.observe(
            MetricSample(
                metric="spindle_temperature_c", target="L1/CNC1", value=91, at=T0 + timedelta(seconds=second)
            )
        )

    assert all(d.ok for d in notifier.deliveries), notifier.deliveries
    by_path = {urllib.parse.urlparse(path).path: (path, body) for path, body in received.requests}
    assert len(received.requests) == 3 and len(inbox.envelopes) == 1

    ding_path, ding = by_path["/robot/send"]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(ding_path).query)
    signed = f"{query['timestamp'][0]}\n{ROBOT_SECRET}".encode()
    expected = base64.b64encode(hmac.new(ROBOT_SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["abc"]
    assert ding["msgtype"] == "markdown" and "Spindle too hot" in ding["markdown"]["title"]

    _, wecom = by_path["/cgi-bin/webhook/send"]
    assert wecom["msgtype"] == "markdown" and "L1/CNC1" in wecom["markdown"]["content"]

    _, feishu = by_path["/open-apis/bot/v2/hook/h1"]
    key = f"{feishu['timestamp']}\n{ROBOT_SECRET}".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu["msg_type"] == "interactive"

    mail = inbox.messages()[0]
    assert mail["Subject"].startswith("[WARNING] Spindle too hot")

    # The acknowledgement flows back: the link inside the chat message acknowledges the alert.
    link = re.search(r"\((http://testserver/api/alerts/ack\?token=[^)]+)\)", wecom["markdown"]["content"])
    assert link is not None
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(
        alert_routes.build_router(
            lambda: engine,
            ack_tokens=tokens,
            get_username=lambda: "nobody",
            require_permission=lambda permission: Depends(lambda: None),
        ),
        prefix="/api",
    )
    with TestClient(app) as client:
        acked = client.get(link.group(1).removeprefix("http://testserver"))
        assert acked.status_code == 200, acked.json()
        assert acked.json()["state"] == "acknowledged"
        assert client.get(link.group(1).removeprefix("http://testserver")).status_code == 409

    engine.observe(
        MetricSample(metric="spindle_temperature_c", target="L1/CNC1", value=65, at=T0 + timedelta(hours=1))
    )
    assert engine.alerts()[0].state is AlertState.RESOLVED
    assert len(received.requests) == 6  # the resolution is pushed too
    resolved_wecom = next(b for p, b in received.requests[3:] if p.startswith("/cgi-bin"))
    assert "[RESOLVED]" in resolved_wecom["markdown"]["content"]
