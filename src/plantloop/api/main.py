"""The FastAPI application: ``create_app(container)`` mounts every context's router under ``/api/v1``
(health at ``/health``, the status page at ``/status``; ``/`` leads to the web UI when it is mounted),
installs the error mapping and the audit of every API write, and runs the outbox relay and any background
tasks (e.g. the demo simulator) for the app's lifetime. ``runtime.app.build_app`` adds the data platform's
routers and the web UI.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from plantloop import __version__
from plantloop.api.audit import AuditWrites
from plantloop.api.errors import install_error_handlers
from plantloop.api.routes import (
    auth,
    decisions,
    dispatch,
    equipment_health,
    events,
    health,
    lots,
    maintenance,
    masterdata,
    operations,
    quality,
    status,
    work_orders,
)
from plantloop.api.security import Authenticator
from plantloop.bootstrap import Container

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

#: A background task: started with the app, returns the function that stops it.
BackgroundTask = Callable[[Container], Callable[[], None]]


def create_app(
    container: Container,
    *,
    extra_routers: Sequence[APIRouter] = (),
    background: Sequence[BackgroundTask] = (),
    run_relay: bool = True,
) -> FastAPI:
    """The API over ``container``. ``extra_routers`` are mounted under ``/api/v1`` (they must use
    ``deps.require`` like every other route); ``background`` tasks run while the app runs."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_relay:
            container.relay.start()
        stops = [start(container) for start in background]
        if container.settings.demo:
            log.warning(
                "DEMO MODE: demo users with the documented password are enabled — never in production"
            )
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()
            container.relay.stop()

    app = FastAPI(
        title="plantloop",
        version=__version__,
        description="MES and data platform in one closed loop.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.authenticator = Authenticator(container.settings, engine=container.engine)
    install_error_handlers(app)
    app.add_middleware(AuditWrites, audit=lambda: container.audit)
    app.include_router(health.router)
    app.include_router(status.router)
    api = APIRouter(prefix=API_PREFIX)
    modules = (auth, masterdata, work_orders, operations, maintenance, dispatch, lots, events, decisions)
    for module in (*modules, quality, equipment_health):
        api.include_router(module.router)
    api.include_router(decisions.audit_router)
    for router in extra_routers:
        api.include_router(router)
    app.include_router(api)
    return app
