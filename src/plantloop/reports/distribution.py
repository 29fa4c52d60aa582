"""Scheduled report distribution: subscriptions, the due-check, and sending each user's report by e-mail.

A :class:`Subscription` says who gets which report, with which parameters, in which format and language,
on which cron schedule (5 fields, UTC). The row scope is NOT stored with it: it is resolved for the user
at send time (``scope_of(user)``), so a user whose lines change gets the new scope in the next mail.

``Distributor.run_due(now)`` sends what is due and is what tests call; ``start_scheduler`` lets
APScheduler call it every minute in a running app. A report error (bad parameters, missing table) is
recorded and the run is marked done (retrying cannot help); an SMTP / network error is recorded and the
subscription stays due, so the next tick retries it.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

import duckdb
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantloop.kernel.clock import Clock, SystemClock, ensure_utc
from plantloop.kernel.errors import InvalidInput, NotFound, PlantloopError
from plantloop.kernel.ids import new_id
from plantloop.reports.definitions import Lang
from plantloop.reports.export import ExportFormat, export_bytes, filename_for
from plantloop.reports.query import ReportRunner, describe_params

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DOW = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat", "7": "sun"}


def cron_trigger(expression: str) -> Any:
    """An APScheduler ``CronTrigger`` (UTC) for a standard 5-field crontab line.

    Standard cron numbers weekdays 0/7 = Sunday; APScheduler 3 numbers them 0 = Monday, so numeric
    weekdays are translated to names first.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise InvalidInput(f"schedule {expression!r} must have 5 fields: minute hour day month weekday")
    minute, hour, day, month, dow = fields
    dow = re.sub(r"\d", lambda m: _DOW[m.group(0)] if m.group(0) in _DOW else m.group(0), dow)
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=UTC)
    except ValueError as exc:
        raise InvalidInput(f"schedule {expression!r}: {exc}") from None


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    user: str = Field(min_length=1, max_length=200)
    email: str
    report_id: str
    params: dict[str, Any] = Field(default_factory=dict)
    format: ExportFormat = ExportFormat.XLSX
    lang: Lang = Lang.EN
    schedule: str = Field(description="5-field crontab, UTC, e.g. '0 7 * * 1-5'.")
    active: bool = True
    created_at: datetime
    last_run_at: datetime | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        try:
            cron_trigger(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value

    def next_run_at(self, now: datetime) -> datetime | None:
        """The first scheduled time after the last run (or after creation); may be in the past (= due)."""
        previous = self.last_run_at or self.created_at
        fire: datetime | None = cron_trigger(self.schedule).get_next_fire_time(
            previous, max(previous, ensure_utc(now))
        )
        if fire is not None and fire <= previous:
            return None
        return fire


class InMemorySubscriptionStore:
    """Subscriptions by id (the in-memory twin; a persistent store implements the same methods)."""

    def __init__(self) -> None:
        self._items: dict[str, Subscription] = {}

    def add(self, subscription: Subscription) -> Subscription:
        self._items[subscription.id] = subscription
        return subscription

    def get(self, subscription_id: str) -> Subscription:
        try:
            return self._items[subscription_id]
        except KeyError:
            raise NotFound(f"no subscription {subscription_id!r}", subscription_id=subscription_id) from None

    def list(self) -> list[Subscription]:
        return list(self._items.values())

    def mark_run(self, subscription_id: str, at: datetime) -> None:
        self._items[subscription_id] = self.get(subscription_id).model_copy(update={"last_run_at": at})

    def remove(self, subscription_id: str) -> Subscription:
        found = self.get(subscription_id)
        del self._items[subscription_id]
        return found


report_subscriptions = sa.Table(
    "report_subscriptions",  # created by the MES Alembic chain, revision 0003
    sa.MetaData(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("record", sa.Text, nullable=False),
)


class SqlSubscriptionStore:
    """Subscriptions in the operational store (SQLite or PostgreSQL): they survive a restart, and the
    distributor's ``last_run_at`` with them, so a restart neither loses nor repeats a delivery."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def add(self, subscription: Subscription) -> Subscription:
        with self.engine.begin() as conn:
            conn.execute(
                report_subscriptions.insert().values(
                    id=subscription.id,
                    username=subscription.user,
                    last_run_at=subscription.last_run_at,
                    record=subscription.model_dump_json(),
                )
            )
        return subscription

    def get(self, subscription_id: str) -> Subscription:
        with self.engine.connect() as conn:
            record = conn.execute(
                sa.select(report_subscriptions.c.record).where(report_subscriptions.c.id == subscription_id)
            ).scalar_one_or_none()
        if record is None:
            raise NotFound(f"no subscription {subscription_id!r}", subscription_id=subscription_id)
        return Subscription.model_validate_json(record)

    def list(self) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(report_subscriptions.c.record).order_by(report_subscriptions.c.id))
            return [Subscription.model_validate_json(r) for (r,) in rows]

    def mark_run(self, subscription_id: str, at: datetime) -> None:
        updated = self.get(subscription_id).model_copy(update={"last_run_at": at})
        with self.engine.begin() as conn:
            conn.execute(
                report_subscriptions.update()
                .where(report_subscriptions.c.id == subscription_id)
                .values(last_run_at=at, record=updated.model_dump_json())
            )

    def remove(self, subscription_id: str) -> Subscription:
        found = self.get(subscription_id)
        with self.engine.begin() as conn:
            conn.execute(report_subscriptions.delete().where(report_subscriptions.c.id == subscription_id))
        return found


class SubscriptionStore(Protocol):
    def list(self) -> list[Subscription]: ...
    def mark_run(self, subscription_id: str, at: datetime) -> None: ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "plantloop@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0


class SmtpMailer:
    """Sends through an SMTP server with :mod:`smtplib` (STARTTLS and login when configured)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        if "From" not in message:
            message["From"] = s.sender
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(message)


class RecordingMailer:
    """Keeps messages instead of sending them (tests)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    subscription_id: str
    user: str
    status: DeliveryStatus
    attempted_at: datetime
    error: str | None = None


ScopeOf = Callable[[str], "set[str] | frozenset[str] | None"]


class Distributor:
    """Sends due subscriptions; ``get_conn`` gives a DuckDB connection, ``scope_of`` a user's lines."""

    def __init__(
        self,
        runner: ReportRunner,
        store: SubscriptionStore,
        mailer: Mailer,
        get_conn: Callable[[], duckdb.DuckDBPyConnection],
        scope_of: ScopeOf,
        *,
        sender: str = "plantloop@localhost",
        clock: Clock | None = None,
    ) -> None:
        self.runner = runner
        self.store = store
        self.mailer = mailer
        self.get_conn = get_conn
        self.scope_of = scope_of
        self.sender = sender
        self.clock = clock or SystemClock()
        self.deliveries: list[Delivery] = []

    def due(self, now: datetime) -> list[Subscription]:
        out = []
        for sub in self.store.list():
            fire = sub.next_run_at(now) if sub.active else None
            if fire is not None and fire <= ensure_utc(now):
                out.append(sub)
        return out

    def run_due(self, now: datetime | None = None) -> list[Delivery]:
        """Send every subscription due at ``now``; returns what was attempted."""
        now = ensure_utc(now or self.clock.now())
        attempted = [self.send(sub, now) for sub in self.due(now)]
        self.deliveries.extend(attempted)
        return attempted

    def send(self, sub: Subscription, now: datetime) -> Delivery:
        try:
            message = self.build_message(sub)
        except PlantloopError as exc:
            self.store.mark_run(sub.id, now)
            return Delivery(sub.id, sub.user, DeliveryStatus.FAILED, now, f"report: {exc.message}")
        try:
            self.mailer.send(message)
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(sub.id, sub.user, DeliveryStatus.FAILED, now, f"smtp: {exc}")
        self.store.mark_run(sub.id, now)
        return Delivery(sub.id, sub.user, DeliveryStatus.SENT, now)

    def build_message(self, sub: Subscription) -> EmailMessage:
        """The mail for ``sub``: the report run now with the user's current scope, as an attachment."""
        run = self.runner.run(self.get_conn(), sub.report_id, sub.params, self.scope_of(sub.user))
        title = run.report.title(sub.lang)
        data = export_bytes(run, sub.format, sub.lang)
        zh = sub.lang is Lang.ZH
        labels = {p.name: p.label(sub.lang) for p in run.report.parameters}
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = sub.email
        message["Subject"] = f"[plantloop] {title} {run.generated_at:%Y-%m-%d}"
        lines = [
            f"{'报表' if zh else 'Report'}: {title}",
            f"{'生成时间' if zh else 'Generated at'}: {run.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            *(f"{labels.get(name, name)}: {text}" for name, text in describe_params(run.params)),
        ]
        message.set_content("\n".join(lines))
        maintype, _, subtype = sub.format.media_type.split(";")[0].partition("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename_for(run, sub.format)
        )
        return message


def start_scheduler(distributor: Distributor, *, interval_s: float = 60.0) -> Any:
    """A started APScheduler ``BackgroundScheduler`` calling ``run_due`` every ``interval_s``; call
    ``.shutdown()`` on it to stop."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        distributor.run_due, "interval", seconds=interval_s, id="report-distribution", max_instances=1
    )
    scheduler.start()
    return scheduler
