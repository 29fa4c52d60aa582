"""The UI's services in one object, built once per app by :func:`plantloop.ui.mount`.

NiceGUI holds its pages in one process-wide app, so the pages find their services through
:func:`current` (set by ``mount``) rather than through FastAPI's request state. Services other contexts
provide are looked up on the container by name (see :func:`optional`); a page whose service is missing
shows a clear "not available" state instead of inventing figures.
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
from plantloop.reports.alerts import AckTokens, AlertEngine
from plantloop.reports.definitions import load_catalog
from plantloop.reports.distribution import Distributor, InMemorySubscriptionStore
from plantloop.reports.query import ReportRunner
from plantloop.ui.i18n import Language
from plantloop.ui.live.hub import LiveHub
from plantloop.ui.preferences import PreferenceStore
from plantloop.ui.viewer import Viewer

log = logging.getLogger(__name__)


class ServiceNotAvailable(NotFound):
    """A page or route needs a service this deployment does not run (e.g. no warehouse yet)."""

    code = "service_not_available"


def optional(container: Container, *names: str) -> Any:
    """The first attribute of ``container`` among ``names`` that is set (services other contexts add)."""
    for name in names:
        value = getattr(container, name, None)
        if value is not None:
            return value
    return None


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
    subscriptions: InMemorySubscriptionStore
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

    # -- services of other contexts ----------------------------------------------------------------
    @property
    def warehouse(self) -> Any:
        """The data platform's :class:`~plantloop.dataplatform.warehouse.warehouse.Warehouse`, if running."""
        return optional(self.container, "warehouse")

    @property
    def ods(self) -> Any:
        """The collect landing store (:class:`~plantloop.dataplatform.ingest.store.OdsStore`), if running."""
        return optional(self.container, "ods", "ods_store")

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


def build_context(app: FastAPI, container: Container, *, report_connection: Any = None) -> UiContext:
    settings = container.settings
    auth: Authenticator = getattr(app.state, "authenticator", None) or Authenticator(settings)
    app.state.authenticator = auth
    alerts = AlertEngine(clock=container.clock)
    prefs = PreferenceStore(settings.data_dir / "ui-preferences.json", Language.parse(settings.locale))
    ctx = UiContext(
        app=app,
        container=container,
        auth=auth,
        prefs=prefs,
        hub=LiveHub(container, alerts=alerts),
        alerts=alerts,
        ack_tokens=AckTokens(
            settings.secret_key, f"http://{settings.host}:{settings.port}/api/v1/alerts/ack"
        ),
        reports=ReportRunner(load_catalog(), container.clock),
        subscriptions=InMemorySubscriptionStore(),
    )
    if report_connection is not None:
        ctx.extras["report_connection"] = report_connection
    return ctx
