"""The demo's web application: the API (``api.main.create_app``) plus the routers that need the in-process
data platform — metrics and today's live OEE — all behind the one authorization dependency."""

from __future__ import annotations

from fastapi import FastAPI

from plantloop.api.deps import CurrentUser, require
from plantloop.api.main import create_app
from plantloop.api.routes.metrics import build_metrics_router
from plantloop.bootstrap import Container
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import NotFound
from plantloop.ui import mount


def build_demo_app(container: Container) -> FastAPI:
    platform = container.platform

    def warehouse() -> Warehouse:
        if platform is None:
            raise NotFound("no data platform runs in this process", resource="warehouse")
        return platform.warehouse

    def live() -> LiveMetrics | None:
        return platform.live if platform is not None else None

    def scope(user: CurrentUser) -> set[str] | None:
        return set(user.lines) if user.lines is not None else None

    metrics = build_metrics_router(warehouse, live=live, scope=scope, dependencies=[require("read")])
    app = create_app(container, extra_routers=[metrics])
    mount(app, container)  # the web UI (pages, reports, alerts, forms) on the same app
    return app
