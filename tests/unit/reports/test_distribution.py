"""Report distribution: cron schedules, due runs, per-user scope at send time, failures."""

from __future__ import annotations

import io
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

import duckdb
import openpyxl
import pytest
from pydantic import ValidationError

from plantloop.reports.distribution import (
    DeliveryStatus,
    Distributor,
    InMemorySubscriptionStore,
    RecordingMailer,
    Subscription,
)
from plantloop.reports.export import ExportFormat
from plantloop.reports.query import ReportRunner

MONDAY_6 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # 2026-01-05 is a Monday


def weekday_mornings(user: str = "ann", **fields: object) -> Subscription:
    return Subscription.model_validate(
        {
            "user": user,
            "email": f"{user}@plant.example",
            "report_id": "daily_production",
            "schedule": "0 7 * * 1-5",
            "created_at": MONDAY_6,
            **fields,
        }
    )


def make(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection, scopes: dict[str, set[str] | None]
) -> tuple[Distributor, InMemorySubscriptionStore, RecordingMailer]:
    store, mailer = InMemorySubscriptionStore(), RecordingMailer()
    distributor = Distributor(runner, store, mailer, lambda: con, lambda user: scopes[user])
    return distributor, store, mailer


def test_weekday_cron_is_due_at_seven_on_weekdays_only() -> None:
    sub = weekday_mornings()
    assert sub.next_run_at(MONDAY_6) == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    friday_sent = sub.model_copy(update={"last_run_at": datetime(2026, 1, 9, 7, 0, tzinfo=UTC)})
    assert friday_sent.next_run_at(datetime(2026, 1, 10, 12, tzinfo=UTC)) == datetime(
        2026, 1, 12, 7, tzinfo=UTC
    )


def test_run_due_sends_once_per_scheduled_time(runner: ReportRunner, con: duckdb.DuckDBPyConnection) -> None:
    distributor, store, mailer = make(runner, con, {"ann": None})
    store.add(weekday_mornings())
    assert distributor.run_due(datetime(2026, 1, 5, 6, 59, tzinfo=UTC)) == []
    sent = distributor.run_due(datetime(2026, 1, 5, 7, 0, 30, tzinfo=UTC))
    assert [d.status for d in sent] == [DeliveryStatus.SENT]
    assert distributor.run_due(datetime(2026, 1, 5, 7, 1, tzinfo=UTC)) == []
    assert len(distributor.run_due(datetime(2026, 1, 6, 7, 0, tzinfo=UTC))) == 1
    assert len(mailer.sent) == 2


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    part = next(iter(message.iter_attachments()))
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_filename()), payload


def test_each_user_gets_the_report_with_their_current_scope(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    scopes: dict[str, set[str] | None] = {"ann": {"L1"}, "bob": {"L2", "L3"}}
    distributor, store, mailer = make(runner, con, scopes)
    store.add(weekday_mornings("ann", lang="zh"))
    store.add(weekday_mornings("bob", format=ExportFormat.CSV))
    distributor.run_due(datetime(2026, 1, 5, 7, 0, tzinfo=UTC))
    by_user = {m["To"]: m for m in mailer.sent}
    name, data = attachment(by_user["ann@plant.example"])
    assert name.startswith("daily_production_") and name.endswith(".xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][1] == "产线" and {r[1] for r in rows[1:]} == {"L1"}
    _, csv_data = attachment(by_user["bob@plant.example"])
    assert {line.split(",")[1] for line in csv_data.decode("utf-8-sig").splitlines()[1:]} == {"L2", "L3"}
    scopes["ann"] = {"FAB"}  # ann moves to another line: the next mail follows
    distributor.run_due(datetime(2026, 1, 6, 7, 0, tzinfo=UTC))
    _, data = attachment(mailer.sent[-2] if mailer.sent[-2]["To"] == "ann@plant.example" else mailer.sent[-1])
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert {r[1] for r in rows[1:]} == {"FAB"}


class BrokenMailer:
    def send(self, message: EmailMessage) -> None:
        raise smtplib.SMTPServerDisconnected("gone")


def test_smtp_failures_stay_due_and_report_failures_do_not(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection
) -> None:
    store = InMemorySubscriptionStore()
    distributor = Distributor(runner, store, BrokenMailer(), lambda: con, lambda user: None)
    store.add(weekday_mornings("ann"))
    store.add(weekday_mornings("bad", params={"line": "NO_SUCH_LINE"}))
    at = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    first = {d.user: d for d in distributor.run_due(at)}
    assert first["ann"].status is DeliveryStatus.FAILED and "smtp" in (first["ann"].error or "")
    assert first["bad"].status is DeliveryStatus.FAILED and "report" in (first["bad"].error or "")
    retried = distributor.run_due(datetime(2026, 1, 5, 7, 1, tzinfo=UTC))
    assert [d.user for d in retried] == ["ann"]


@pytest.mark.parametrize(
    "fields", [{"schedule": "every monday"}, {"schedule": "0 25 * * *"}, {"email": "not-an-address"}]
)
def test_bad_schedules_and_addresses_are_rejected(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        weekday_mornings(**fields)
