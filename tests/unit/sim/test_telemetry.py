"""Telemetry: exact sample counts, state-dependent levels, independence from the rest of the run."""

from __future__ import annotations

import itertools

import numpy as np

from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import scenario
from plantloop.sim.telemetry import SIGNALS, CollectingSink, CountingSink


def test_every_equipment_gets_exactly_one_sample_per_interval_over_the_horizon(
    reference_plant: PlantDefinition,
) -> None:
    sink = CountingSink()
    result = run_simulation(
        scenario(days=1.25, seed=1, telemetry_hz=0.5), telemetry_sink=sink, plant=reference_plant
    )
    expected = int(1.25 * 86_400 * 0.5)
    assert set(sink.samples) == set(reference_plant.equipment)
    assert all(n == expected for n in sink.samples.values())
    assert result.kpis.telemetry_samples == expected * len(reference_plant.equipment)


def test_collected_series_are_contiguous_and_carry_all_signals(
    failing_run: tuple[SimResult, CollectingSink],
) -> None:
    _result, sink = failing_run
    chunks = sink.chunks["IM-01"]
    for (a_at, interval, a), (b_at, _, _) in itertools.pairwise(chunks):
        assert (b_at - a_at).total_seconds() == len(a["current_a"]) * interval
    series = sink.series("IM-01")
    assert set(series) == set(SIGNALS)
    assert all(len(v) == 6 * 86_400 for v in series.values())
    assert all(np.isfinite(v).all() for v in series.values())


def test_running_machines_draw_more_current_than_idle_ones(
    failing_run: tuple[SimResult, CollectingSink],
) -> None:
    result, sink = failing_run
    machine = result.plant.machines["WD-01"]
    current = sink.series("WD-01")["current_a"]
    running = np.zeros(len(current), dtype=bool)
    for op in result.plant.ops.values():
        if op.equipment_id == "WD-01":
            for a, b in op.run_segments:
                running[int(a) + 2 : int(b)] = True
    assert running.any() and (~running).any()
    assert current[running].mean() > 2 * current[~running].mean()
    assert (
        abs(float(np.median(current[running])) - machine.spec.telemetry.current_a)
        < 0.2 * machine.spec.telemetry.current_a
    )


def test_switching_telemetry_off_changes_nothing_else(reference_plant: PlantDefinition) -> None:
    config = scenario(days=2, seed=9)
    with_telemetry = run_simulation(config, telemetry_sink=CountingSink(), plant=reference_plant)
    without = run_simulation(config, plant=reference_plant)
    assert with_telemetry.kpis.model_dump(exclude={"telemetry_samples"}) == without.kpis.model_dump(
        exclude={"telemetry_samples"}
    )
