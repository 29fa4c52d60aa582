"""The web application: NiceGUI pages on the same FastAPI app as the API — offline (Vue, Quasar, ECharts
and AG Grid ship with NiceGUI), English and Simplified Chinese per user, usable on a phone.

One entry point, :func:`mount`, called by the composition root after ``api.main.create_app``::

    app = create_app(container)
    plantloop.ui.mount(app, container)

It adds the report, alert, form and web-session routes (all behind ``deps.require``), starts the live hub
(MES events → big screens within a fraction of a second) with the app, and registers the pages.

Rooms: ``context`` (the UI's services), ``viewer`` (who is looking, with the row-scoped MES), ``shell``
(frame, menu, the page guard), ``menu`` (pages and permissions), ``i18n`` / ``locales`` (catalogs),
``preferences`` (per-user language), ``live`` (hub and plant view), ``pages`` (one module per page),
``charts`` (ECharts option builders).

NiceGUI keeps its pages in one process-wide app: the first ``mount`` registers the pages and NiceGUI's
middleware; a later ``mount`` in the same process (tests, a restarted server) attaches the same pages to the
new app and points them at its services. One app serves the pages at a time — the one started last.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from plantloop.bootstrap import Container
from plantloop.ui.context import UiContext, build_context, set_current

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
_pages_mounted_on: FastAPI | None = None


def mount(
    app: FastAPI,
    container: Container,
    *,
    pages: bool = True,
    report_connection: Any = None,
    **services: Any,
) -> UiContext:
    """Add the web UI and its routes to ``app`` (built by ``create_app(container)``); returns its context.

    ``pages=False`` adds only the routes and services (API-only deployments and route tests);
    ``report_connection`` overrides where reports read (a DuckDB connection; default: the warehouse);
    ``services`` override what the container provides (``warehouse=``, ``ods=``, ``platform=``).
    """
    from plantloop.ui.routes import routers

    ctx = build_context(app, container, report_connection=report_connection, services=services)
    app.state.ui = ctx
    set_current(ctx)
    for router, prefixed in routers(ctx):
        app.include_router(router, prefix=API_PREFIX if prefixed else "")
    _run_with_app(app, ctx)
    if pages:
        _mount_pages(app, container)
    return ctx


def _run_with_app(app: FastAPI, ctx: UiContext) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        import asyncio

        from plantloop.reports.distribution import start_scheduler

        set_current(ctx)
        ctx.hub.start(asyncio.get_running_loop())
        scheduler = start_scheduler(ctx.distributor) if ctx.distributor is not None else None
        try:
            async with inner(application) as state:
                yield state
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await ctx.hub.stop()
            notifier = ctx.extras.get("notifier")
            if notifier is not None:
                notifier.close()
            ctx.forms.close()

    app.router.lifespan_context = lifespan


def _mount_pages(app: FastAPI, container: Container) -> None:
    global _pages_mounted_on
    from nicegui import app as nicegui_app
    from nicegui import ui

    from plantloop.ui.i18n import Language
    from plantloop.ui.pages import register_all

    if _pages_mounted_on is not None:
        _attach_again(app, nicegui_app)
        _pages_mounted_on = app
        return
    register_all()
    nicegui_app.colors(primary="#1e3a5f", secondary="#2f6fae", accent="#e07a1f", positive="#2e7d32")
    language = Language.parse(container.settings.locale)
    ui.run_with(
        app,
        title="plantloop",
        favicon="🏭",
        language=language.quasar,  # type: ignore[arg-type]
        reconnect_timeout=10.0,
        show_welcome_message=False,
        storage_secret=None,
    )
    _pages_mounted_on = app


def _attach_again(app: FastAPI, nicegui_app: Any) -> None:
    """Serve the already registered pages from another app (NiceGUI's start and stop with its lifespan)."""
    from nicegui import nicegui as nicegui_core

    app.mount("/", nicegui_app)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        await nicegui_core._startup()
        try:
            async with inner(application) as state:
                yield state
        finally:
            await nicegui_core._shutdown()

    app.router.lifespan_context = lifespan
