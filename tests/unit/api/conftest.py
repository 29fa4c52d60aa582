"""An API over the in-memory MES twin, with one configured user and the demo users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.api.security import DEMO_PASSWORD, hash_password
from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings, UserSpec
from plantloop.mes.masterdata import PlantDefinition

ANN = ("ann", "correct horse battery staple")


@pytest.fixture(scope="session")
def ann_hash() -> str:
    return hash_password(ANN[1])


@pytest.fixture
def container(reference_plant: PlantDefinition, ann_hash: str) -> Container:
    settings = Settings(demo=True, users={"ann": UserSpec(password_hash=ann_hash, roles=["planner"])})
    return build_in_memory_container(settings, plant=reference_plant, clock=FakeClock())


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


def demo(role: str) -> tuple[str, str]:
    """Demo credentials (demo mode only)."""
    return (role, DEMO_PASSWORD)
