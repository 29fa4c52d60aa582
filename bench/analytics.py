"""Benchmark of the quality and maintenance analytics: public data sets and the plant twin.

Runs the evaluations (SKAB, NAB, C-MAPSS FD001, AI4I 2020, and root cause over twin scenarios) with the
project's models and, in the same run, a simple baseline per task (3-sigma per channel for SKAB, windowed
Gaussian for NAB, linear regression for C-MAPSS, logistic regression for AI4I, plain commonality analysis
for root cause), and prints each figure beside the published baselines quoted in the data sets' READMEs.

``--tasks twin`` compares, on the plant twin with the same seeds, the ``baseline`` policy (FIFO, run to
failure, no holds) with ``analytics`` (predictive maintenance and quality actions): unplanned downtime and
scrap rate per seed and their mean reduction.

``--quick`` runs on small slices; ``--json`` prints one JSON object as the last line.

    .venv/bin/python bench/analytics.py [--data-root DIR] [--tasks skab,nab,rca,twin] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plantloop.optimize.evaluation import ai4i, cmapss, nab, rca, skab
from plantloop.optimize.evaluation.result import EvaluationResult

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "datasets"

#: Published figures, quoted from the READMEs in the shared data folder (with their sources).
PUBLISHED: dict[str, dict[str, Any]] = {
    "skab": {
        "metric": "f1 (valve1+valve2, test parts)",
        "better": "higher",
        "figures": {"MSET": 0.77, "Conv-AE": 0.76, "T-squared+Q (PCA)": 0.75, "LSTM-AE": 0.70},
        "leaderboard_34_files": {"Conv-AE": 0.78, "MSET": 0.78},
        "source": "waico/SKAB official per-file predictions re-scored on valve1+valve2 "
        "(skab/README.md, 'Published baselines on THIS subset'); leaderboard: waico/SKAB README",
    },
    "nab": {
        "metric": "NAB standard (58 files, normalised)",
        "better": "higher",
        "figures": {
            "ARTime": 74.9,
            "Numenta HTM": 70.1,
            "CAD OSE": 69.9,
            "KNN CAD": 58.0,
            "Random Cut Forest": 51.7,
            "Windowed Gaussian": 39.6,
        },
        "source": "numenta/NAB README scoreboard (nab/README.md); HTM 70.10 reproduced from per-file scores",
    },
    "cmapss": {
        "metric": "RMSE FD001 (last cycle)",
        "better": "lower",
        "figures": {
            "MTSTAN": 10.97,
            "MS-DCNN": 11.44,
            "DCNN (Li et al. 2018)": 12.61,
            "Deep LSTM (Zheng et al. 2017)": 16.14,
            "CNN (Babu et al. 2016)": 18.45,
        },
        "source": "cmapss_fd001/README.md; Li, Ding, Sun, RESS 172 (2018); Zheng et al., ICPHM 2017; "
        "Babu et al., DASFAA 2016; FFVE Benchmark.md table",
    },
    "rca": {
        "metric": "top-1 accuracy over twin scenarios (2 plants, 4 fault types)",
        "better": "higher",
        "figures": {},
        "source": "no published figure: the scenarios are plantloop's own (src/plantloop/optimize/evaluation/"
        "scenarios/rca); the baseline is plain commonality analysis measured in the same run",
    },
    "ai4i": {
        "metric": "F1 failure class (no leaky columns)",
        "better": "higher",
        "figures": {"XGBoost, Rismawan & Nirmala 2026": 0.8952},
        "source": "Rismawan & Nirmala, J. Fuzzy Systems and Control 4(1), 2026 (ai4i2020/README.md)",
    },
}

Runner = Callable[[Path, bool], EvaluationResult]


def _skab(model: bool) -> Runner:
    def run(root: Path, quick: bool) -> EvaluationResult:
        folder = root / "skab"
        files = skab.find_files(folder)[:4] if quick else None
        return skab.evaluate(folder, files) if model else skab.evaluate_baseline(folder, files)

    return run


def _nab(model: bool) -> Runner:
    def run(root: Path, quick: bool) -> EvaluationResult:
        folder = root / "nab"
        names = sorted(s for s in json.loads((folder / nab.WINDOWS_FILE).read_text()) if "KnownCause" in s)
        chosen = names if quick else None
        if model:
            return nab.evaluate(folder, chosen, workers=os.cpu_count() or 1)
        return nab.evaluate_baseline(folder, chosen)

    return run


def _cmapss(model: bool) -> Runner:
    def run(root: Path, quick: bool) -> EvaluationResult:
        folder = root / "cmapss_fd001"
        units = 40 if quick else None
        return (
            cmapss.evaluate(folder, max_units=units)
            if model
            else cmapss.evaluate_baseline(folder, None, units)
        )

    return run


def _ai4i(model: bool) -> Runner:
    def run(root: Path, quick: bool) -> EvaluationResult:
        folder = root / "ai4i2020"
        rows = 3000 if quick else None
        return ai4i.evaluate(folder, rows) if model else ai4i.evaluate_baseline(folder, rows)

    return run


def _rca(model: bool) -> Runner:
    def run(root: Path, quick: bool) -> EvaluationResult:
        limit = 4 if quick else None
        return rca.evaluate(limit=limit) if model else rca.evaluate_baseline(limit=limit)

    return run


TASKS: dict[str, tuple[Runner, Runner, str]] = {
    "skab": (_skab(True), _skab(False), "3-sigma per channel"),
    "nab": (_nab(True), _nab(False), "windowed Gaussian"),
    "cmapss": (_cmapss(True), _cmapss(False), "linear regression"),
    "ai4i": (_ai4i(True), _ai4i(False), "logistic regression"),
    "rca": (_rca(True), _rca(False), "commonality analysis"),
}


def twin(days: float, seeds: list[int]) -> dict[str, Any]:
    """``baseline`` vs ``analytics`` on the twin, same seeds: downtime and scrap per seed and reductions."""
    from plantloop.sim.policies import make_policy
    from plantloop.sim.run import run_simulation
    from plantloop.sim.scenario import scenario
    from plantloop.sim.telemetry import CountingSink

    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "analytics": []}
    for seed in seeds:
        for policy in runs:
            started = time.perf_counter()
            result = run_simulation(
                scenario("default", days=days, seed=seed, policy=policy),
                telemetry_sink=CountingSink(),
                policy=make_policy(policy),
            )
            k = result.kpis
            runs[policy].append(
                {
                    "seed": seed,
                    "unplanned_downtime_h": k.unplanned_downtime_h,
                    "planned_downtime_h": k.planned_downtime_h,
                    "scrap_rate": k.scrap_rate,
                    "throughput_units": k.throughput_units,
                    "on_time_rate": k.on_time_rate,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            row = runs[policy][-1]
            print(
                f"  seed {seed} {policy:9s} unplanned downtime {row['unplanned_downtime_h']:7.2f} h   "
                f"planned {row['planned_downtime_h']:5.2f} h   scrap {row['scrap_rate']:.4f}   "
                f"throughput {row['throughput_units']}   ({row['seconds']} s)"
            )

    def mean(policy: str, key: str) -> float:
        return sum(r[key] for r in runs[policy]) / len(runs[policy])

    downtime = 1 - mean("analytics", "unplanned_downtime_h") / max(
        mean("baseline", "unplanned_downtime_h"), 1e-9
    )
    scrap = 1 - mean("analytics", "scrap_rate") / max(mean("baseline", "scrap_rate"), 1e-9)
    print(f"  mean reduction: unplanned downtime {downtime:.1%}, scrap rate {scrap:.1%} ({len(seeds)} seeds)")
    return {
        "days": days,
        "seeds": seeds,
        "runs": runs,
        "downtime_reduction": downtime,
        "scrap_reduction": scrap,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated subset of tasks")
    parser.add_argument("--quick", action="store_true", help="small slices instead of the full data sets")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--days", type=float, default=21.0, help="simulated days of the twin comparison")
    parser.add_argument("--seeds", default="1,2,3", help="seeds of the twin comparison")
    args = parser.parse_args()
    report: dict[str, Any] = {"quick": args.quick, "tasks": {}}
    for task in [t.strip() for t in args.tasks.split(",") if t.strip()]:
        if task == "twin":
            print("\n== twin: analytics policy vs baseline (unplanned downtime, scrap rate)")
            days = 3.0 if args.quick else args.days
            report["twin"] = twin(days, [int(s) for s in args.seeds.split(",")])
            continue
        model_run, baseline_run, baseline_name = TASKS[task]
        started = time.perf_counter()
        result = model_run(args.data_root, args.quick)
        model_s = time.perf_counter() - started
        started = time.perf_counter()
        baseline = baseline_run(args.data_root, args.quick)
        baseline_s = time.perf_counter() - started
        published = PUBLISHED[task]
        print(f"\n== {task}: {published['metric']} ({published['better']} is better)")
        print(f"  plantloop model      {result.value:>8}   ({model_s:.1f} s)  {_extras(result)}")
        print(f"  baseline ({baseline_name}) {baseline.value:>8}   ({baseline_s:.1f} s)")
        for name, value in published["figures"].items():
            print(f"  published {name:<32} {value}")
        print(f"  source: {published['source']}")
        report["tasks"][task] = {
            "metric": result.metric,
            "value": result.value,
            "extras": result.extras,
            "seconds": round(model_s, 1),
            "baseline": {"name": baseline_name, "value": baseline.value, "seconds": round(baseline_s, 1)},
            "published": published,
        }
    if args.json:
        print(json.dumps(report, default=float))


def _extras(result: EvaluationResult) -> str:
    shown = {k: v for k, v in result.extras.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


if __name__ == "__main__":
    main()
