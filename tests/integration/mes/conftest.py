"""Both MES store backends for the same tests: a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plantloop.bootstrap import Container, build_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a new SQLite file, or a new database on the private PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mes.db'}"
    url: str = request.getfixturevalue("postgres_db")
    return url


@pytest.fixture
def make_container(
    db_url: str, reference_plant: PlantDefinition, tmp_path: Path
) -> Iterator[Callable[..., Container]]:
    """Build containers on the same database (several = several processes sharing it)."""
    built: list[Container] = []

    def make(clock: FakeClock | None = None) -> Container:
        settings = Settings(data_dir=tmp_path, database_url=db_url)
        container = build_container(settings, plant=reference_plant, clock=clock or FakeClock())
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()
