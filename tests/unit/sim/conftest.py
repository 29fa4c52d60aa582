"""Shared simulator runs for the unit tests: each is run once per session (the runs are deterministic)."""

from __future__ import annotations

import pytest

from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import FaultConfig, scenario
from plantloop.sim.telemetry import CollectingSink

#: Only a bad supplier lot of power cords (a strong one), so that its scrap stands out.
BAD_LOT_ONLY = FaultConfig(
    machine_failures=False,
    parameter_drift=False,
    bad_shift=False,
    scrap_machine=False,
    bad_lot_material_id="CP-CORD",
    bad_lot_defect_p=0.3,
)


@pytest.fixture(scope="session")
def recorded_run(reference_plant: PlantDefinition) -> tuple[SimResult, RecordingGateway]:
    """Eight days from a Monday (so a Sunday is crossed), commands kept, no telemetry."""
    gateway = RecordingGateway(reference_plant)
    result = run_simulation(scenario(days=8, seed=3), gateway, plant=reference_plant)
    return result, gateway


@pytest.fixture(scope="session")
def failing_run(reference_plant: PlantDefinition) -> tuple[SimResult, CollectingSink]:
    """Frequent failures, full telemetry kept in memory."""
    sink = CollectingSink()
    config = scenario(days=6, seed=5, faults=FaultConfig(failure_rate_factor=4.0))
    return run_simulation(config, telemetry_sink=sink, plant=reference_plant), sink
