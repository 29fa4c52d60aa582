"""Closed loop on the twin: the CP-SAT scheduler (``aps``) and the whole loop (``loop``: the scheduler
planning around predictive-maintenance windows, with the maintenance and quality analytics acting) against
FIFO run to failure (``baseline``).

The same seeds, days and demand for every policy (the order feed, failures and quality draws come from
their own seeded streams, so a policy changes only how the plant is dispatched). Per seed and on average:
on-time rate, throughput (good units of completed orders), mean order lead time (release → completion),
mean tardiness, unplanned downtime, scrap rate and OEE; for the scheduling policies also the number of
plans, their solve times and how many were feasible. Policies with analytics hooks run with telemetry
(its own random stream: the plant's draws are unchanged).
Targets of issue 5: on-time rate up by ≥ 15 points and mean lead time down by ≥ 15 % against the
baseline, measured here rather than asserted. Beside them the bench prints the *on-time ceiling* of each
seed: the share of judged orders whose due date leaves at least their standard work content (longest
chain through their component orders, no queue, no setup) in working time — no policy can deliver the
others on time, so the ceiling bounds what any dispatcher can reach. Likewise the *lead-time floor*: the
mean lead time the completed orders would have had in an empty plant (their standard work content in
working time after release); only the part of the lead time above it is queueing and setups.
Each policy's mean lead time is over the orders *it* completed; a policy that completes more (often the
long ones) is judged on a different set. The bench therefore also prints the *paired* change: per seed,
the mean lead time of the orders that both the policy and the baseline completed (each run records every
top-level order's release and completion, ``orders``), then the mean over seeds.
The twin starts from an empty plant and its queues take one to two weeks to build, so a 7-day run measures
mostly the run-in; ``--days 14`` or more compares the policies on a plant past it (docs/benchmarks.md).
``loop`` releases large orders as sub-lots; ``split`` (FIFO with the same sub-lots) and ``loop-whole`` (the
loop with one lot per order) split its gain, and ``--scenario handling`` charges every lot 10 minutes of
machine time per step, the cost that sub-lots multiply. Orders are counted per customer order, and the
ceiling and the floor are those of the order moved as one lot, the same for every policy.

    .venv/bin/python bench/loop_schedule.py --seeds 1,2,3 --days 7 --policies baseline,aps,loop --json
    .venv/bin/python bench/loop_schedule.py --seeds 1,2,3 --days 14 \
        --policies baseline,split,loop-whole,loop --scenario handling --json
    .venv/bin/python bench/loop_schedule.py --seeds 1,2,3 --days 7 --policies baseline,atcs,aps \
        --results loop-schedule.jsonl       # resumable: runs already in the file are not repeated

With ``--json`` the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from statistics import mean
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from plantloop.mes.masterdata import load_reference_plant
from plantloop.sim.kpis import LEAD_TIME_PARTS, CustomerOrder, customer_orders
from plantloop.sim.orders import SimWorkOrder
from plantloop.sim.policies import make_policy
from plantloop.sim.run import SimResult, run_simulation
from plantloop.sim.scenario import scenario
from plantloop.sim.telemetry import CountingSink

KPIS = (
    "on_time_rate",
    "throughput_units",
    "mean_lead_time_h",
    "mean_tardiness_h",
    "orders_completed",
    "unplanned_downtime_h",
    "scrap_rate",
    "oee",
)
FIGURES = ("on_time_ceiling", "lead_time_floor_h", *KPIS)


def _chain_s(wo: SimWorkOrder, scale: float = 1.0) -> float:
    """Standard work of the longest chain: the order's own operations after its slowest component, for
    ``scale`` times the order's quantity."""
    own = sum(scale * wo.qty * op.spec.run_time_s_per_unit for op in wo.operations)
    return own + max((_chain_s(child, scale) for child in wo.children), default=0.0)


def _whole_chain_s(order: CustomerOrder) -> float:
    """The chain of a customer order moved as one lot, whether or not the policy split it: the floor and
    the ceiling are the plant's, the same for every policy."""
    lot = order.lots[0]
    return _chain_s(lot, order.qty / lot.qty)


def on_time_ceiling(result: SimResult) -> float:
    """Share of judged orders that an empty plant could still finish by their due date."""
    plant = result.plant
    horizon = plant.config.horizon_s
    judged = [o for o in customer_orders(plant) if o.completed_s is not None or o.due_s <= horizon]
    feasible = [o for o in judged if plant.calendar.working_s(o.released_s, o.due_s) >= _whole_chain_s(o)]
    return len(feasible) / len(judged) if judged else 1.0


def lead_time_floor_h(result: SimResult) -> float:
    """Mean lead time the completed orders would have had in an empty plant, moved as one lot: release →
    the end of their standard work content (longest chain, no queue, no setup) in working time. What is
    above it is queueing and setups; splitting an order into sub-lots that overlap goes below it."""
    plant = result.plant
    done = [o for o in customer_orders(plant) if o.completed_s is not None]
    floors = [plant.calendar.add_working(o.released_s, _whole_chain_s(o)) - o.released_s for o in done]
    return mean(floors) / 3600 if floors else 0.0


def run_one(seed: int, days: float, policy_name: str, scenario_name: str) -> dict[str, Any]:
    policy = make_policy(policy_name)
    t0 = time.perf_counter()
    watched = bool(policy.hooks)  # the analytics need the machines' telemetry
    config = scenario(scenario_name, days=days, seed=seed, policy=policy_name)
    if not watched:
        config = scenario(scenario_name, days=days, seed=seed, policy=policy_name, telemetry_hz=0.0)
    result = run_simulation(
        config,
        plant=load_reference_plant(),
        policy=policy,
        telemetry_sink=CountingSink() if watched else None,
    )
    kpis = result.kpis
    row: dict[str, Any] = {
        "seed": seed,
        "days": days,
        "scenario": scenario_name,
        "policy": policy_name,
        **{k: getattr(kpis, k) for k in KPIS},
        "orders_evaluated": kpis.orders_evaluated,
        "scrap_by_cause": kpis.scrap_by_cause,
        "lots_reviewed": kpis.lots_reviewed,
        # held purchased lots by the review board's finding (use_as_is: a false alarm, released)
        "purchased_lots_reviewed": dict(
            Counter(str(r.outcome) for r in result.plant.records.material_reviews)
        ),
        "reworked_units": kpis.reworked_units,
        "on_time_ceiling": round(on_time_ceiling(result), 4),
        "lead_time_floor_h": round(lead_time_floor_h(result), 4),
        "lead_time_breakdown_h": kpis.lead_time_breakdown_h,
        "waiting_by_work_center_h": kpis.waiting_by_work_center_h,
        "wall_s": round(time.perf_counter() - t0, 1),
        "orders": {o.key: [o.released_s, o.completed_s] for o in customer_orders(result.plant)},
        "work_orders_released": sum(1 for wo in result.plant.records.work_orders if wo.is_top_level),
    }
    history = getattr(policy.rule, "history", None)
    if history:
        times = sorted(float(h["solve_time_s"]) for h in history)
        row["plans"] = len(history)
        row["plan_solve_s_mean"] = round(mean(times), 3)
        row["plan_solve_s_p95"] = round(times[min(len(times) - 1, int(0.95 * len(times)))], 3)
        row["plans_infeasible"] = sum(1 for h in history if not h["feasible"])
        row["plan_open_ops_mean"] = round(mean(float(h["open_ops"]) for h in history), 1)
    return row


def _load(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--policies", default="baseline,aps", help="the first one is the baseline")
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--results", type=Path, help="JSONL: append each run, skip runs already there")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    console = Console(stderr=args.json)
    rows = [
        r
        for r in _load(args.results)
        if r["days"] == args.days and r["scenario"] == args.scenario and r["seed"] in seeds
    ]
    have = {(r["seed"], r["policy"]) for r in rows}
    todo = [(s, p) for s in seeds for p in policies if (s, p) not in have]
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("runs", total=len(todo))
        for seed, policy in todo:
            progress.update(task, description=f"seed {seed} {policy}")
            row = run_one(seed, args.days, policy, args.scenario)
            rows.append(row)
            if args.results is not None:
                with args.results.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
            console.print(
                f"seed {seed} {policy:>9}: on-time {row['on_time_rate']:.3f}, "
                f"lead {row['mean_lead_time_h']:.2f} h, throughput {row['throughput_units']}, "
                f"{row['wall_s']} s"
            )
            progress.advance(task)
    summary = summarise(rows, seeds, policies)
    summary.update({"days": args.days, "seeds": seeds, "scenario": args.scenario})
    _print(console, rows, summary, seeds, policies)
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")


def _mean_lead_s(orders: dict[str, list[float | None]], ids: list[str]) -> float:
    return mean(float(orders[k][1] or 0.0) - float(orders[k][0] or 0.0) for k in ids)


def _paired_lead_change(
    by: dict[tuple[int, str], dict[str, Any]], seeds: list[int], baseline: str, policy: str
) -> float | None:
    """Lead time change on the orders both runs completed: per seed the mean of each side, then the mean
    over seeds; None when a run has no per-order record (results files written before it was added)."""
    sides: list[tuple[float, float]] = []
    for s in seeds:
        b, p = by.get((s, baseline)), by.get((s, policy))
        if b is None or p is None or "orders" not in b or "orders" not in p:
            return None
        ours, theirs = b["orders"], p["orders"]
        both = [
            k for k, (_, end) in ours.items() if end is not None and theirs.get(k, [0, None])[1] is not None
        ]
        if not both:
            return None
        sides.append((_mean_lead_s(ours, both), _mean_lead_s(theirs, both)))
    if not sides:
        return None
    return round(100 * (mean(p for _, p in sides) / mean(b for b, _ in sides) - 1), 2)


def summarise(rows: list[dict[str, Any]], seeds: list[int], policies: list[str]) -> dict[str, Any]:
    by = {(r["seed"], r["policy"]): r for r in rows}
    means: dict[str, dict[str, float]] = {}
    for p in policies:
        runs = [by[(s, p)] for s in seeds if (s, p) in by]
        means[p] = {
            k: round(mean(float(r[k]) for r in runs), 4) for k in FIGURES if all(k in r for r in runs)
        }
    base = means[policies[0]]
    out: dict[str, Any] = {
        "baseline": policies[0],
        "policies": means,
        "lead_time_breakdown_h": _mean_parts(by, seeds, policies, "lead_time_breakdown_h"),
        # the three work centers where orders waited longest
        "waiting_by_work_center_h": _mean_parts(by, seeds, policies, "waiting_by_work_center_h", top=3),
        "vs_baseline": {},
    }
    for p in policies[1:]:
        m = means[p]
        if not m or not base:
            continue
        out["vs_baseline"][p] = {
            "on_time_delta_points": round(100 * (m["on_time_rate"] - base["on_time_rate"]), 2),
            "lead_time_change_pct": round(100 * (m["mean_lead_time_h"] / base["mean_lead_time_h"] - 1), 2),
            "paired_lead_time_change_pct": _paired_lead_change(by, seeds, policies[0], p),
            "throughput_change_pct": round(100 * (m["throughput_units"] / base["throughput_units"] - 1), 2),
            "unplanned_downtime_change_pct": _change(m, base, "unplanned_downtime_h"),
            "scrap_rate_change_pct": _change(m, base, "scrap_rate"),
            "oee_delta_points": round(100 * (m["oee"] - base["oee"]), 2)
            if "oee" in m and "oee" in base
            else None,
        }
    return out


def _mean_parts(
    by: dict[tuple[int, str], dict[str, Any]],
    seeds: list[int],
    policies: list[str],
    key: str,
    *,
    top: int | None = None,
) -> dict[str, dict[str, float]]:
    """Per policy, the mean over seeds of a per-run split (a part missing from a run counts 0), only its
    ``top`` largest parts if given; policies with a run from before the split was recorded are left out."""
    out: dict[str, dict[str, float]] = {}
    for p in policies:
        runs = [by[(s, p)] for s in seeds if (s, p) in by]
        if not runs or not all(key in r for r in runs):
            continue
        names = sorted({k for r in runs for k in r[key]})
        means = {k: round(mean(float(r[key].get(k, 0.0)) for r in runs), 3) for k in names}
        out[p] = dict(sorted(means.items(), key=lambda kv: -kv[1])[:top]) if top is not None else means
    return out


def _change(m: dict[str, float], base: dict[str, float], key: str) -> float | None:
    if key not in m or key not in base or not base[key]:
        return None
    return round(100 * (m[key] / base[key] - 1), 2)


def _print(
    console: Console,
    rows: list[dict[str, Any]],
    summary: dict[str, Any],
    seeds: list[int],
    policies: list[str],
) -> None:
    table = Table(title="closed loop on the reference plant (per seed)")
    for col in (
        "seed",
        "policy",
        "on-time",
        "ceiling",
        "lead time h",
        "floor h",
        "throughput",
        "tardiness h",
        "downtime h",
        "scrap",
        "plans",
        "solve s p95",
    ):
        table.add_column(col, justify="right")
    by = {(r["seed"], r["policy"]): r for r in rows}
    for s in seeds:
        for p in policies:
            r = by.get((s, p))
            if r is None:
                continue
            table.add_row(
                str(s),
                p,
                f"{r['on_time_rate']:.3f}",
                f"{r.get('on_time_ceiling', float('nan')):.3f}",
                f"{r['mean_lead_time_h']:.2f}",
                f"{r.get('lead_time_floor_h', float('nan')):.2f}",
                str(r["throughput_units"]),
                f"{r['mean_tardiness_h']:.2f}",
                f"{r.get('unplanned_downtime_h', float('nan')):.1f}",
                f"{r.get('scrap_rate', float('nan')):.4f}",
                str(r.get("plans", "-")),
                str(r.get("plan_solve_s_p95", "-")),
            )
    console.print(table)
    parts = summary["lead_time_breakdown_h"]
    if parts:
        split = Table(
            title="where the mean lead time goes, h (mean of the seeds; along each order's critical chain)"
        )
        names = list(LEAD_TIME_PARTS)
        for col in ("policy", *names, "waited longest at"):
            split.add_column(col, justify="right")
        for p, values in parts.items():
            worst = summary["waiting_by_work_center_h"].get(p, {})
            split.add_row(
                p,
                *(f"{values.get(k, 0.0):.2f}" for k in names),
                ", ".join(f"{w} {h:.2f}" for w, h in worst.items()),
            )
        console.print(split)
    for p, delta in summary["vs_baseline"].items():
        console.print(
            f"{p} vs {summary['baseline']}: "
            f"on-time {delta['on_time_delta_points']:+.1f} points (target +15), "
            f"lead time {delta['lead_time_change_pct']:+.1f} % (target -15 %; "
            f"paired {_pct(delta['paired_lead_time_change_pct'])}), "
            f"throughput {delta['throughput_change_pct']:+.1f} %, "
            f"unplanned downtime {_pct(delta['unplanned_downtime_change_pct'])} (target -30 %), "
            f"scrap rate {_pct(delta['scrap_rate_change_pct'])} (target -20 %)"
        )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} %"


if __name__ == "__main__":
    main()
