"""Session-wide fixtures: private servers started on free loopback ports, and the reference plant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from plantloop.mes.masterdata import PlantDefinition, load_reference_plant
from tests.servers import MosquittoBroker, NatsServer, PostgresServer

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (benchmarks and datasets, read in place)."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} not found: the shared data must sit beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def reference_plant() -> PlantDefinition:
    return load_reference_plant()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of the private server's maintenance database; create your own database in it."""
    return postgres_server.url


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker()
    broker.start()
    yield broker
    broker.cleanup()


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    server = NatsServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url
