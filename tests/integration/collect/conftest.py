"""Fixtures for collect integration tests (servers come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OdsStore]:
    s = OdsStore(tmp_path / "warehouse.duckdb")
    yield s
    s.close()


@pytest.fixture
def landing(store: OdsStore, reference_plant: PlantDefinition) -> Landing:
    return Landing.for_plant(store, reference_plant)
