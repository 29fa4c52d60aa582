"""Scheduled distribution through a real SMTP server (aiosmtpd on a free loopback port)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import duckdb
import openpyxl

from plantloop.reports.distribution import (
    DeliveryStatus,
    Distributor,
    InMemorySubscriptionStore,
    SmtpMailer,
    SmtpSettings,
    Subscription,
)
from plantloop.reports.export import ExportFormat
from plantloop.reports.query import ReportRunner
from tests.integration.reports.conftest import Inbox, free_port


def test_each_user_receives_the_report_over_smtp_with_only_their_lines(
    smtp: tuple[Inbox, int], runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    inbox, port = smtp
    store = InMemorySubscriptionStore()
    scopes = {"ann": {"L2"}, "plant_manager": None}
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=port, sender="reports@plant.example"))
    distributor = Distributor(
        runner, store, mailer, lambda: con, scopes.__getitem__, sender="reports@plant.example"
    )
    created = datetime(2026, 1, 9, tzinfo=UTC)
    store.add(
        Subscription(
            user="ann", email="ann@plant.example", report_id="order_delivery", lang="zh",
            format=ExportFormat.XLSX, schedule="30 6 * * *", created_at=created,
        )
    )  # fmt: skip
    store.add(
        Subscription(
            user="plant_manager", email="pm@plant.example", report_id="order_delivery",
            format=ExportFormat.CSV, schedule="30 6 * * *", created_at=created,
        )
    )  # fmt: skip

    deliveries = distributor.run_due(datetime(2026, 1, 10, 6, 30, tzinfo=UTC))

    assert [d.status for d in deliveries] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == ["ann@plant.example", "pm@plant.example"]
    by_rcpt = {m["To"]: m for m in inbox.messages()}
    ann = by_rcpt["ann@plant.example"]
    assert ann["From"] == "reports@plant.example"
    assert ann["Subject"] == "[plantloop] 订单交付与延误 2026-01-10"
    body = ann.get_body(preferencelist=("plain",))
    assert body is not None and "交期起: 2025-12-11" in body.get_content()
    part = next(iter(ann.iter_attachments()))
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][2] == "产线"
    assert len(rows) == 11 and {r[2] for r in rows[1:]} == {"L2"}
    pm_part = next(iter(by_rcpt["pm@plant.example"].iter_attachments()))
    csv_data = pm_part.get_payload(decode=True)
    assert isinstance(csv_data, bytes)
    lines = csv_data.decode("utf-8-sig").splitlines()
    assert {line.split(",")[2] for line in lines[1:]} == {"FAB", "L1", "L2", "L3"}
    assert distributor.run_due(datetime(2026, 1, 10, 6, 31, tzinfo=UTC)) == []
    assert len(inbox.envelopes) == 2


def test_an_unreachable_smtp_server_is_recorded_and_retried(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    store = InMemorySubscriptionStore()
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=2))
    distributor = Distributor(runner, store, mailer, lambda: con, lambda user: None)
    store.add(
        Subscription(
            user="ann", email="ann@plant.example", report_id="defect_pareto", format=ExportFormat.PDF,
            schedule="0 * * * *", created_at=datetime(2026, 1, 10, tzinfo=UTC),
        )
    )  # fmt: skip
    failed = distributor.run_due(datetime(2026, 1, 10, 1, 0, tzinfo=UTC))
    assert failed[0].status is DeliveryStatus.FAILED and "smtp" in (failed[0].error or "")
    assert len(distributor.run_due(datetime(2026, 1, 10, 1, 5, tzinfo=UTC))) == 1
