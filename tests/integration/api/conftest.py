"""The plant process's whole app (``runtime.app.build_app``) over a real DuckDB warehouse, not built yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.runtime.platform import DataPlatformRuntime, attach, proposer


@pytest.fixture
def platform_container(tmp_path: Path, reference_plant: PlantDefinition) -> Iterator[Container]:
    """An in-memory MES with the data platform attached (demo users on); the runtime is closed after."""
    settings = Settings(demo=True, data_dir=tmp_path)
    # a Monday afternoon in the plant's timezone: "today" has a running shift whatever the day of the run
    clock = FakeClock(datetime(2026, 1, 5, 6, 0, tzinfo=UTC))
    container = build_in_memory_container(settings, plant=reference_plant, clock=clock)
    runtime = DataPlatformRuntime(
        reference_plant,
        tmp_path / "warehouse.duckdb",
        container.outbox_reader,
        container.clock,
        settings=settings,
        propose=proposer(container),
    )
    attach(container, runtime)
    try:
        yield container
    finally:
        runtime.warehouse.close()
        runtime.store.close()
