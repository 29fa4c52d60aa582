"""The whole web application of a plant process (``plantloop up`` and ``plantloop demo``): the MES API
(``api.main.create_app``), the data platform's routers (metrics with the live path, catalog with lineage,
governance with the steward queue, ingest with the ledger and quarantine), the quality and equipment-health
routes, and the web UI — every route behind the one authorization dependency, every API write in the audit
trail.

Without an in-process data platform (``container.platform`` is None) the platform routes answer 404 with a
message; the MES API and the UI's MES pages work all the same.
"""

from __future__ import annotations

from fastapi import FastAPI

from plantloop.api.deps import CurrentUser, require
from plantloop.api.main import create_app
from plantloop.api.routes.catalog import build_catalog_router
from plantloop.api.routes.governance import build_governance_router
from plantloop.api.routes.ingest import build_ingest_router
from plantloop.api.routes.metrics import build_metrics_router
from plantloop.bootstrap import Container
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.service import DataPlatform
from plantloop.kernel.errors import NotFound
from plantloop.ui import mount


def build_app(container: Container, *, ui: bool = True) -> FastAPI:
    runtime = container.platform

    def platform() -> DataPlatform:
        if runtime is None:
            raise NotFound("no data platform runs in this process", resource="data platform")
        return runtime.data

    def live() -> LiveMetrics | None:
        return runtime.live if runtime is not None else None

    def scope(user: CurrentUser) -> set[str] | None:
        return set(user.lines) if user.lines is not None else None

    def actor(user: CurrentUser) -> str:
        return user.username

    read = [require("read")]
    routers = [
        build_metrics_router(platform, live=live, now=container.clock.now, scope=scope, dependencies=read),
        build_catalog_router(platform, dependencies=read),
        build_governance_router(
            platform, dependencies=read, write_dependencies=[require("govern")], actor=actor
        ),
    ]
    if runtime is not None:  # REST push, quarantine review and replay, the ledger of every source
        routers.append(build_ingest_router(runtime.collect))
    app = create_app(container, extra_routers=routers)
    if runtime is not None and runtime.health is not None:
        app.state.equipment_health = runtime.health.watcher  # the equipment-health API reads the live one
    if ui:
        mount(app, container)  # the web UI (pages, reports, alerts, forms) on the same app
    return app
