"""Benchmark of the maintenance analytics on the shared public data sets.

Runs the four evaluations (SKAB, NAB, C-MAPSS FD001, AI4I 2020) with the project's models and, in the same
run, a simple baseline per task (3-sigma per channel for SKAB, windowed Gaussian for NAB, linear regression
for C-MAPSS, logistic regression for AI4I), and prints each figure beside the published baselines quoted in
the data sets' READMEs. ``--quick`` runs on small slices; ``--json`` prints one JSON object as the last line.

    .venv/bin/python bench/analytics.py [--data-root DIR] [--tasks skab,nab] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plantloop.optimize.evaluation import ai4i, cmapss, nab, skab
from plantloop.optimize.evaluation.result import EvaluationResult

DEFAULT_ROOT = Path("/work/shared/datasets")

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
        return nab.evaluate(folder, chosen) if model else nab.evaluate_baseline(folder, chosen)

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


TASKS: dict[str, tuple[Runner, Runner, str]] = {
    "skab": (_skab(True), _skab(False), "3-sigma per channel"),
    "nab": (_nab(True), _nab(False), "windowed Gaussian"),
    "cmapss": (_cmapss(True), _cmapss(False), "linear regression"),
    "ai4i": (_ai4i(True), _ai4i(False), "logistic regression"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated subset of tasks")
    parser.add_argument("--quick", action="store_true", help="small slices instead of the full data sets")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    report: dict[str, Any] = {"quick": args.quick, "tasks": {}}
    for task in [t.strip() for t in args.tasks.split(",") if t.strip()]:
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
