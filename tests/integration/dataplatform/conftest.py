"""One simulated plant run and one platform build per test session, shared by the data-platform tests.

Test modules that only read come first (alphabetically); ``test_the_warehouse_follows_corrections.py``
changes the data (a steward's mapping, late records, a bad record) and runs last.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plantloop.api.errors import install_error_handlers
from plantloop.api.routes.catalog import build_catalog_router
from plantloop.api.routes.governance import build_governance_router
from plantloop.api.routes.metrics import build_metrics_router
from plantloop.dataplatform.build import PlatformBuildReport
from plantloop.dataplatform.service import DataPlatform
from plantloop.dataplatform.warehouse import Warehouse
from plantloop.mes.masterdata.schema import PlantDefinition
from tests.integration.dataplatform.plant_run import PlantRun, run_plant


@dataclass
class Built:
    run: PlantRun
    platform: DataPlatform
    first: PlatformBuildReport


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, reference_plant: PlantDefinition) -> Iterator[Built]:
    run = run_plant(tmp_path_factory.mktemp("plant"), reference_plant)
    warehouse = Warehouse(run.database, reference_plant)
    platform = DataPlatform(warehouse)
    yield Built(run, platform, platform.build())
    warehouse.close()
    run.close()


@pytest.fixture(scope="session")
def api(built: Built) -> TestClient:
    """The data platform's routers on an app with the real error mapping (auth is the lead's ``deps``)."""
    app = FastAPI()
    install_error_handlers(app)
    for router in (
        build_metrics_router(lambda: built.platform),
        build_catalog_router(lambda: built.platform),
        build_governance_router(lambda: built.platform, actor=lambda: "steward.wang"),
    ):
        app.include_router(router, prefix="/api/v1")
    return TestClient(app)
