"""One built warehouse per test session (SQLMesh plan/apply over the scenario's ODS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plantloop.dataplatform.warehouse import Warehouse
from plantloop.mes.masterdata.schema import PlantDefinition
from tests.integration.dataplatform.warehouse.scenario import Dataset, write_dataset


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory, reference_plant: PlantDefinition) -> Dataset:
    return write_dataset(reference_plant, tmp_path_factory.mktemp("wh") / "plant.duckdb")


@pytest.fixture(scope="session")
def warehouse(dataset: Dataset, reference_plant: PlantDefinition) -> Iterator[Warehouse]:
    wh = Warehouse(dataset.database, reference_plant)
    wh.build()
    yield wh
    wh.close()
