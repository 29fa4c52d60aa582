"""Fixtures for collect unit tests: an in-memory ODS store and a landing that knows the reference plant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from plantloop.collect.connectors.uns import UnsResolver
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.clock import FakeClock
from plantloop.mes.masterdata import PlantDefinition

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
def store(clock: FakeClock) -> Iterator[OdsStore]:
    s = OdsStore(clock=clock)
    yield s
    s.close()


@pytest.fixture
def landing(store: OdsStore, reference_plant: PlantDefinition) -> Landing:
    return Landing.for_plant(store, reference_plant)


@pytest.fixture
def resolver(reference_plant: PlantDefinition) -> UnsResolver:
    return UnsResolver(reference_plant)
