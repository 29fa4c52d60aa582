"""Shared fixtures for the scheduling tests: benchmark files in ``../shared``, read in place, never copied."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition


@pytest.fixture
def bench_dir(shared_dir: Path) -> Path:
    return shared_dir / "benchmarks" / "scheduling"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mes(reference_plant: PlantDefinition, clock: FakeClock) -> Container:
    """An in-memory MES with six released orders of the reference plant, due 16 h … 36 h from now."""
    container = build_in_memory_container(plant=reference_plant, clock=clock)
    products = ["P-KET-01", "P-BLE-01", "P-FAN-01", "P-HEA-01", "P-MIX-01", "P-COO-01"]
    for n, material in enumerate(products):
        wo = f"WO-{n + 1}"
        due = clock.now() + timedelta(hours=16 + 4 * n)
        container.bus.handle(c.CreateWorkOrder(work_order_id=wo, material_id=material, qty=40, due_at=due))
        container.bus.handle(c.ReleaseWorkOrder(work_order_id=wo))
    return container
