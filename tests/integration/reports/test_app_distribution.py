"""Scheduled mail as the running app wires it: a subscription made by a line-scoped user is sent through
a real SMTP server with that user's scope at send time — and not at all once the user is gone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import duckdb

from plantloop.api.main import create_app
from plantloop.api.security import hash_password
from plantloop.bootstrap import build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings, UserSpec
from plantloop.mes.masterdata import PlantDefinition
from plantloop.reports.distribution import DeliveryStatus, Subscription
from plantloop.reports.export import ExportFormat
from plantloop.reports.sample_ads import fill_sample_ads
from plantloop.ui import mount
from tests.integration.reports.conftest import Inbox


def test_a_scoped_users_subscription_is_mailed_with_only_their_lines(
    smtp: tuple[Inbox, int], reference_plant: PlantDefinition, tmp_path: object
) -> None:
    inbox, port = smtp
    now = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
    users = {"ann": UserSpec(password_hash=hash_password("ann password"), roles=["quality"], lines=["L2"])}
    settings = Settings(
        users=users,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="reports@plant.example",
        data_dir=str(tmp_path),
    )
    container = build_in_memory_container(settings, plant=reference_plant, clock=FakeClock(now))
    sample = duckdb.connect()
    fill_sample_ads(sample, start=now.date() - timedelta(days=6), days=7)
    ctx = mount(create_app(container), container, pages=False, report_connection=sample)
    assert ctx.distributor is not None  # mail is on because smtp_host is set
    ctx.subscriptions.add(
        Subscription(
            user="ann",
            email="ann@plant.example",
            report_id="daily_production",
            format=ExportFormat.CSV,
            schedule="0 7 * * *",
            created_at=now - timedelta(days=1),
        )
    )
    [delivery] = ctx.distributor.run_due(now + timedelta(hours=2))
    assert delivery.status is DeliveryStatus.SENT
    [message] = inbox.messages()
    [attachment] = list(message.iter_attachments())
    rows = list(
        csv.reader(
            io.StringIO(
                attachment.get_content().decode("utf-8-sig")
                if isinstance(attachment.get_content(), bytes)
                else attachment.get_content()
            )
        )
    )
    assert rows[1:] and {r[1] for r in rows[1:]} == {"L2"}

    del container.settings.users["ann"]  # the user leaves: nothing more is mailed to them
    [gone] = ctx.distributor.run_due(now + timedelta(days=1, hours=2))
    assert gone.status is DeliveryStatus.FAILED and "no longer exists" in (gone.error or "")
    assert len(inbox.messages()) == 1
