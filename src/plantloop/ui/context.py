"""The UI's services in one object, built once per app by :func:`plantloop.ui.mount`.

NiceGUI holds its pages in one process-wide app, so the pages find their services through
:func:`current` (set by ``mount``) rather than through FastAPI's request state. Services of other contexts
come from the container (``container.platform``: ODS store, warehouse) or from ``mount(..., **services)``;
a page whose service is missing shows a clear "not available" state instead of inventing figures.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
from fastapi import FastAPI, Request

from plantloop.api.security import Authenticator, Principal
from plantloop.api.sessions import SESSION_COOKIE
from plantloop.bootstrap import Container
from plantloop.kernel.errors import NotFound
from plantloop.reports.alert_config import build_engine, load_alert_config
from plantloop.reports.alert_store import SqlAlertBacking
from plantloop.reports.alerts import AckTokens, AlertEngine
from plantloop.reports.definitions import load_catalog
from plantloop.reports.distribution import (
    Distributor,
    InMemorySubscriptionStore,
    SmtpMailer,
    SmtpSettings,
    SqlSubscriptionStore,
)
from plantloop.reports.forms.service import FormService
from plantloop.reports.query import ReportRunner
from plantloop.ui.i18n import Language
from plantloop.ui.live.hub import LiveHub
from plantloop.ui.preferences import PreferenceStore
from plantloop.ui.viewer import Viewer

log = logging.getLogger(__name__)


class ServiceNotAvailable(NotFound):
    """A page or route needs a service this deployment does not run (e.g. no warehouse yet)."""

    code = "service_not_available"


@dataclass
class UiContext:
    app: FastAPI
    container: Container
    auth: Authenticator
    prefs: PreferenceStore
    hub: LiveHub
    alerts: AlertEngine
    ack_tokens: AckTokens
    reports: ReportRunner
    subscriptions: InMemorySubscriptionStore | SqlSubscriptionStore
    forms: FormService
    distributor: Distributor | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    # -- who is asking -----------------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer | None:
        """The viewer of a browser request (its session cookie), or None when not logged in."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        session = self.auth.sessions.touch(token)
        principal = self.auth.principal_for(session.username) if session else None
        if principal is None:
            return None
        return self.viewer_for(principal, token)

    def viewer_for(self, principal: Principal, session: str) -> Viewer:
        return Viewer(principal, self.prefs.language(principal.username), session, self)

    def scope_of(self, username: str) -> frozenset[str] | None:
        """A user's row scope now (scheduled mail is sent with the scope at send time)."""
        principal = self.auth.principal_for(username)
        if principal is None:
            raise NotFound(f"user {username!r} no longer exists", user=username)
        return principal.lines

    def line_of_target(self, target: str) -> str | None:
        """The line of an alert target: ``line:<id>``, an equipment id or an ISA-95 equipment path."""
        plant = self.container.plant
        bare = target.removeprefix("line:")
        if bare in plant.lines:
            return bare
        parts = bare.split("/")
        if len(parts) >= 4 and parts[3] in plant.lines:
            return parts[3]
        return plant.line_of.get(parts[-1])

    # -- services of other contexts ----------------------------------------------------------------
    @property
    def platform(self) -> Any:
        """The in-process data platform (``container.platform``: ODS store, warehouse, live fold), if any."""
        return self.extras.get("platform") or getattr(self.container, "platform", None)

    @property
    def warehouse(self) -> Any:
        """The data platform's :class:`~plantloop.dataplatform.warehouse.warehouse.Warehouse`, if running."""
        if "warehouse" in self.extras:
            return self.extras["warehouse"]
        return getattr(self.platform, "warehouse", None)

    @property
    def ods(self) -> Any:
        """The collect landing store (:class:`~plantloop.dataplatform.ingest.store.OdsStore`), if running."""
        if "ods" in self.extras:
            return self.extras["ods"]
        return getattr(self.platform, "store", None)

    def report_connection(self) -> duckdb.DuckDBPyConnection:
        """Where reports and warehouse views read: a connection whose ``cursor()`` each run takes — the
        override given to ``mount``, else a cursor of the warehouse's shared connection (never a second,
        read-only one: DuckDB refuses that in-process)."""
        conn = self.extras.get("report_connection")
        if conn is not None:
            return conn  # type: ignore[no-any-return]
        if self.warehouse is None:
            raise ServiceNotAvailable("the warehouse is not running in this deployment", service="warehouse")
        base = self.extras.get("_warehouse_base")
        if base is None:
            base = self.extras["_warehouse_base"] = self.warehouse.connect()
        return base  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def warehouse_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read (closed afterwards); :class:`ServiceNotAvailable` without a warehouse."""
        cursor = self.report_connection().cursor()
        try:
            yield cursor
        finally:
            cursor.close()


_current: UiContext | None = None


def current() -> UiContext:
    if _current is None:
        raise RuntimeError("the web UI is not mounted: call plantloop.ui.mount(app, container) first")
    return _current


def set_current(ctx: UiContext | None) -> None:
    global _current
    _current = ctx


def build_context(
    app: FastAPI,
    container: Container,
    *,
    report_connection: Any = None,
    services: dict[str, Any] | None = None,
) -> UiContext:
    settings = container.settings
    auth: Authenticator = getattr(app.state, "authenticator", None) or Authenticator(settings)
    app.state.authenticator = auth
    ack_tokens = AckTokens(settings.secret_key, f"http://{settings.host}:{settings.port}/api/v1/alerts/ack")
    mailer = (
        SmtpMailer(
            SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender)
        )
        if settings.smtp_host
        else None
    )
    plant_rules = settings.data_dir / "alerts.yaml"
    alerts, notifier = build_engine(
        load_alert_config(plant_rules if plant_rules.exists() else None),
        clock=container.clock,
        mailer=mailer,
        sender=settings.smtp_sender,
        ack_url=ack_tokens.url,
        backing=SqlAlertBacking(container.engine) if container.engine is not None else None,
    )
    prefs = PreferenceStore(settings.data_dir / "ui-preferences.json", Language.parse(settings.locale))
    ctx = UiContext(
        app=app,
        container=container,
        auth=auth,
        prefs=prefs,
        hub=LiveHub(container, alerts=alerts),
        alerts=alerts,
        ack_tokens=ack_tokens,
        reports=ReportRunner(load_catalog(), container.clock),
        subscriptions=SqlSubscriptionStore(container.engine)
        if container.engine is not None
        else InMemorySubscriptionStore(),
        forms=FormService(container.plant, container.decisions, clock=container.clock),
    )
    ctx.extras["notifier"] = notifier
    if mailer is not None:
        ctx.distributor = Distributor(
            ctx.reports,
            ctx.subscriptions,
            mailer,
            ctx.report_connection,
            ctx.scope_of,
            sender=settings.smtp_sender,
            clock=container.clock,
        )
    if report_connection is not None:
        ctx.extras["report_connection"] = report_connection
    ctx.extras.update(services or {})
    return ctx
