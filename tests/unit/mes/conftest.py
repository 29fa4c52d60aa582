"""Fixtures for MES unit tests: the reference plant on the in-memory twin, driven through the real bus."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries

#: A product of the reference plant with an intermediate (SA-KBODY) that has its own two-step routing.
KETTLE = "P-KET-01"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mes(reference_plant: PlantDefinition, clock: FakeClock) -> Container:
    return build_in_memory_container(plant=reference_plant, clock=clock)


@pytest.fixture
def bus(mes: Container) -> MessageBus:
    return mes.bus


@pytest.fixture
def queries(mes: Container) -> MesQueries:
    return mes.queries


@pytest.fixture
def events(mes: Container) -> Callable[[], list[EventEnvelope]]:
    """All events written to the outbox so far, in order."""

    def read() -> list[EventEnvelope]:
        return [r.envelope for r in mes.outbox_reader.fetch_after(0, 1_000_000)]

    return read


@pytest.fixture
def released_order(bus: MessageBus, clock: FakeClock) -> Callable[..., list[str]]:
    """Create and release a work order; returns its ids (parent first)."""

    def make(wo_id: str = "WO-1", material_id: str = KETTLE, qty: int = 10) -> list[str]:
        ids: list[str] = bus.handle(
            c.CreateWorkOrder(
                work_order_id=wo_id, material_id=material_id, qty=qty, due_at=clock.now() + timedelta(days=2)
            )
        )
        bus.handle(c.ReleaseWorkOrder(work_order_id=wo_id))
        return ids

    return make


def equipment_of(plant: PlantDefinition, work_center_id: str, index: int = 0) -> str:
    return plant.work_centers[work_center_id].equipment[index].id
