"""Simulator speed: simulated days per wall second for the reference plant.

Runs the simulator on the in-memory MES twin with 1 Hz telemetry into a counting sink, and — as the
baseline measured in the same run — the same scenario without telemetry (the plant model alone) and a
bare SimPy loop with as many timeout events as the plant model processed.

    .venv/bin/python bench/sim_speed.py [--days 30] [--seed 42] [--policy baseline] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Generator

import simpy

from plantloop.sim.run import run_simulation
from plantloop.sim.scenario import scenario
from plantloop.sim.telemetry import CountingSink


def _bare_simpy(n_events: int) -> float:
    env = simpy.Environment()

    def ticker(n: int) -> Generator[simpy.Event, None, None]:
        for _ in range(n):
            yield env.timeout(1.0)

    for _ in range(18):
        env.process(ticker(max(1, n_events // 18)))
    started = time.perf_counter()
    env.run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--policy", default="baseline")
    parser.add_argument("--hz", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    config = scenario(days=args.days, seed=args.seed, policy=args.policy, telemetry_hz=args.hz)
    sink = CountingSink()
    started = time.perf_counter()
    full = run_simulation(config, telemetry_sink=sink)
    full_s = time.perf_counter() - started

    started = time.perf_counter()
    bare = run_simulation(config.model_copy(update={"telemetry_hz": 0.0}))
    no_tel_s = time.perf_counter() - started

    events = full.kpis.events_emitted
    simpy_s = _bare_simpy(events * 4)
    samples = sum(sink.samples.values())
    figures = {
        "sim_days_per_wall_s": round(args.days / full_s, 3),
        "wall_s": round(full_s, 3),
        "days": args.days,
        "telemetry_samples": samples,
        "telemetry_samples_per_s": round(samples / full_s),
        "commands": events,
        "baseline_no_telemetry_sim_days_per_wall_s": round(args.days / no_tel_s, 3),
        "baseline_no_telemetry_wall_s": round(no_tel_s, 3),
        "baseline_bare_simpy_wall_s_same_event_count": round(simpy_s, 3),
        "same_kpis_without_telemetry": bare.kpis.model_dump(exclude={"telemetry_samples"})
        == full.kpis.model_dump(exclude={"telemetry_samples"}),
    }
    print(
        f"simulator: {figures['sim_days_per_wall_s']} sim-days/s ({args.days:g} days in {full_s:.2f} s, "
        f"{samples:,} telemetry samples, {events:,} commands)"
    )
    print(
        f"baseline without telemetry: {figures['baseline_no_telemetry_sim_days_per_wall_s']} sim-days/s "
        f"({no_tel_s:.2f} s); bare SimPy loop with ~4 timeouts per command: {simpy_s:.2f} s"
    )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
