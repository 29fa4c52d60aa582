"""A real MES (SQLite file or PostgreSQL) that the twin drove for a day, shared by a module's tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from plantloop.bootstrap import Container, build_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.gateway import BusGateway
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import FaultConfig, scenario


def drive(container: Container, days: float, seed: int) -> SimResult:
    """The twin drives the MES through its message bus; every quality fault except a shift is injected."""
    gateway = BusGateway(container.bus, container.queries)
    config = scenario(days=days, seed=seed, telemetry_hz=0.0, faults=FaultConfig(bad_shift=False))
    with gateway.group_commit():
        return run_simulation(config, gateway, plant=container.plant)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def driven_mes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, reference_plant: PlantDefinition
) -> Iterator[tuple[Container, SimResult]]:
    data_dir = tmp_path_factory.mktemp("mes")
    drop: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'mes.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        drop = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{drop}"'))
        url = server.url.rsplit("/", 1)[0] + f"/{drop}"
    container = build_container(
        Settings(data_dir=data_dir, database_url=url, demo=True), plant=reference_plant, clock=FakeClock()
    )
    result = drive(container, days=1.0, seed=11)
    yield container, result
    container.close()
    if drop is not None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
        admin.dispose()
