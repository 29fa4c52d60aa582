"""Rescheduling benchmark: machine-down event → new plan published, on a seeded plant of open orders.

Plant: ``--orders`` orders × ``--ops`` operations on ``--machines`` machines; each operation may run on
1-3 machines of its work-centre group, 5-30 min, four product families with sequence-dependent setups on
a quarter of the machines, due dates and weights. The initial plan is solved once. Then ``--events``
machine-down events happen one after the other (seeded: machine, time, 30-120 min); after each, plantloop
reschedules (freeze started work, stability-weighted re-solve), the plan is turned into its
``PublishDispatchLists`` command (``plan_to_commands``) and handed to a command sink that validates and
acknowledges it; the latency is the wall time from the event to the acknowledgement. Also the operations
moved. Baselines in the same run, on the same disrupted
problem: a from-scratch re-solve with the same time limit, and the right-shift repair.

    .venv/bin/python bench/reschedule.py --json            # 100 × 6 on 20 machines, 5 events
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from statistics import mean, quantiles
from typing import Any

from rich.console import Console
from rich.progress import Progress

from plantloop.mes.domain.commands import Command, PublishDispatchLists
from plantloop.optimize.scheduling.problem import Job, Objective, Operation, Option, Problem
from plantloop.optimize.scheduling.publish import ShopPlan, plan_to_commands
from plantloop.optimize.scheduling.reschedule import MachineDown, ReschedulePolicy, count_moves, reschedule
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.shop import ShopProblem
from plantloop.optimize.scheduling.solve import solve
from plantloop.optimize.scheduling.timeaxis import TimeAxis

FAMILIES = ("A", "B", "C", "D")


def make_plant(orders: int, ops: int, machines: int, seed: int) -> Problem:
    rng = random.Random(seed)
    groups = [list(range(g, machines, 5)) for g in range(min(5, machines))]
    jobs = []
    for j in range(orders):
        operations = []
        for _ in range(ops):
            group = rng.choice(groups)
            eligible = rng.sample(group, k=min(len(group), rng.randint(1, 3)))
            base = rng.randint(5, 30) * 60
            opts = tuple(Option(m, int(base * rng.uniform(0.9, 1.2))) for m in eligible)
            operations.append(Operation(options=opts))
        release = rng.randint(0, 4) * 3600
        work = sum(op.min_duration() for op in operations)
        jobs.append(
            Job(
                id=f"WO-{j:04d}",
                operations=tuple(operations),
                release=release,
                due=release + int(work * rng.uniform(3.0, 8.0)),
                weight=rng.choice((1, 1, 2, 4)),
                family=rng.choice(FAMILIES),
            )
        )
    setups = {
        m: {(a, b): (0 if a == b else 15 * 60) for a in FAMILIES for b in FAMILIES}
        for m in range(0, machines, 4)
    }
    return Problem(jobs=tuple(jobs), n_machines=machines, setups=setups, name="bench-plant")


ORIGIN = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def as_shop(problem: Problem) -> ShopProblem:
    """Plant ids for the bench plant: machine m is ``EQ-mm`` of work center ``WC-g``, operations
    ``WO-nnnn/010`` … (times are seconds after ORIGIN)."""
    equipment = tuple(f"EQ-{m:02d}" for m in range(problem.n_machines))
    return ShopProblem(
        problem=problem,
        axis=TimeAxis(origin_at=ORIGIN, unit_s=1.0),
        operation_ids={
            (j, o): f"{job.id}/{10 * (o + 1):03d}"
            for j, job in enumerate(problem.jobs)
            for o in range(len(job.operations))
        },
        equipment_ids=equipment,
        work_center_of={e: f"WC-{m % 5}" for m, e in enumerate(equipment)},
    )


class AckSink:
    """A command sink like the MES bus: validates a publish (every operation once, positions dense per
    work center) and acknowledges it with the work centers it replaced."""

    def __init__(self) -> None:
        self.versions: set[str] = set()

    def handle(self, command: Command) -> Any:
        assert isinstance(command, PublishDispatchLists)
        if command.schedule_version in self.versions:
            return []
        self.versions.add(command.schedule_version)
        ids = [e.operation_id for e in command.entries]
        if len(ids) != len(set(ids)):
            raise SystemExit("an operation is listed twice")
        per_wc: dict[str, list[int]] = {}
        for e in command.entries:
            per_wc.setdefault(e.work_center_id, []).append(e.position)
        for positions in per_wc.values():
            if sorted(positions) != list(range(len(positions))):
                raise SystemExit("dispatch positions are not dense")
        return sorted(per_wc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100)
    ap.add_argument("--ops", type=int, default=6)
    ap.add_argument("--machines", type=int, default=20)
    ap.add_argument("--events", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=5.0, help="reschedule budget (s)")
    ap.add_argument("--initial-time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    console = Console(stderr=args.json)
    problem = make_plant(args.orders, args.ops, args.machines, args.seed)
    params = SolveParams(
        time_limit_s=args.initial_time_limit, num_workers=args.workers, random_seed=args.seed
    )
    initial = solve(problem, params=params)
    console.print(
        f"plant {args.orders}×{args.ops} on {args.machines} machines: initial makespan {initial.makespan}s "
        f"({initial.status.value}, rule {initial.rule_value})"
    )
    rng = random.Random(args.seed + 1)
    policy = ReschedulePolicy(
        objective=Objective.MAKESPAN,
        time_limit_s=args.time_limit,
        num_workers=args.workers,
        random_seed=args.seed,
    )
    current_problem, current = problem, initial.schedule
    sink = AckSink()
    now = 0
    rows = []
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("events", total=args.events)
        for _ in range(args.events):
            now = now + rng.randint(1, 3) * 1800
            machine = rng.randrange(args.machines)
            event = MachineDown(machine, now, now + rng.randint(30, 120) * 60)
            t0 = time.perf_counter()
            res = reschedule(current_problem, current, now, [event], policy)
            if res.plan.violations:
                raise SystemExit(f"infeasible reschedule: {res.plan.violations[:3]}")
            shop_plan = ShopPlan(
                as_shop(res.problem), res.plan, moved_ops=res.moved_ops, trigger="machine_down"
            )
            acks = [sink.handle(c) for c in plan_to_commands(shop_plan)]
            latency = time.perf_counter() - t0
            if not acks or not acks[0]:
                raise SystemExit("the plan was not published")
            scratch = solve(
                res.problem,
                params=SolveParams(
                    time_limit_s=args.time_limit, num_workers=args.workers, random_seed=args.seed
                ),
            )
            if scratch.violations:
                raise SystemExit("infeasible from-scratch schedule")
            row = {
                "machine": machine,
                "now_s": now,
                "latency_s": latency,
                "open_ops": res.problem.n_ops - res.frozen_ops,
                "moved": res.moved_ops,
                "makespan": res.plan.makespan,
                "scratch_moved": count_moves(res.problem, current_problem, current, scratch.schedule),
                "scratch_makespan": scratch.makespan,
                "repair_moved": count_moves(res.problem, current_problem, current, res.repaired),
                "repair_makespan": res.repaired.makespan,
            }
            rows.append(row)
            console.print(
                f"M{machine} down at {now}s: latency {latency:.2f}s, open {row['open_ops']}, "
                f"moved {row['moved']} (from scratch {row['scratch_moved']}, "
                f"right-shift {row['repair_moved']}), makespan {row['makespan']} "
                f"(scratch {row['scratch_makespan']}, right-shift {row['repair_makespan']})"
            )
            current_problem, current = res.problem, res.plan.schedule
            progress.advance(task)
    lat = sorted(float(r["latency_s"]) for r in rows)
    p50, p95 = _pct(lat, 50), _pct(lat, 95)
    summary = {
        "orders": args.orders,
        "ops": args.ops,
        "machines": args.machines,
        "events": args.events,
        "time_limit_s": args.time_limit,
        "workers": args.workers,
        "latency_p50_s": round(p50, 3),
        "latency_p95_s": round(p95, 3),
        "moved_ops_mean": round(mean(float(r["moved"]) for r in rows), 1),
        "scratch_moved_ops_mean": round(mean(float(r["scratch_moved"]) for r in rows), 1),
        "repair_moved_ops_mean": round(mean(float(r["repair_moved"]) for r in rows), 1),
        "makespan_mean": round(mean(float(r["makespan"]) for r in rows), 1),
        "scratch_makespan_mean": round(mean(float(r["scratch_makespan"]) for r in rows), 1),
        "repair_makespan_mean": round(mean(float(r["repair_makespan"]) for r in rows), 1),
    }
    console.print(
        f"latency p50 {p50:.2f}s p95 {p95:.2f}s; moved ops mean {summary['moved_ops_mean']} vs from-scratch "
        f"{summary['scratch_moved_ops_mean']} (right-shift {summary['repair_moved_ops_mean']})"
    )
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")


def _pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=100, method="inclusive")[q - 1]


if __name__ == "__main__":
    main()
