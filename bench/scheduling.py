"""Scheduling benchmark: plantloop vs the plain CP-SAT sample model vs the MWKR rule, same run, same limits.

Gap = 100 · (makespan − BKS) / BKS against ``bks_makespan`` of ../shared/benchmarks/scheduling/bks.csv,
arithmetic mean per family. Instances are read in place.

    .venv/bin/python bench/scheduling.py                                  # small default (a few, 5 s)
    .venv/bin/python bench/scheduling.py --sets la,ta,mk,hurink --time-limit 60 --workers 2 \
        --results bench-scheduling-60s.jsonl --json           # the issue's targets (hours; resumable)

``--sets`` takes comma-separated tokens: a named set (``la`` = la01-la40, ``ta`` = ta01-ta40, ``mk`` =
mk01-mk10, ``hurink`` = the 240 Hurink edata/rdata/vdata/sdata instances), an instance name (``ft06``), a
range (``la01-la40``), a glob over instance names (``*_vdata``), a folder under fjsp/ (``hurink/edata``)
or a folder with a range/glob (``hurink/rdata/la01-la10``). ``--results FILE.jsonl`` appends each
instance's row as it finishes and skips instances already in the file for the same limit, workers and
seed, so an interrupted run continues where it stopped; the summary aggregates the file's rows for the
chosen instances. Families are bks.csv's (``hurink_edata`` …) plus ``hurink`` over all four Hurink sets.
With ``--json`` the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import os
import platform
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path
from statistics import mean

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from plantloop.optimize.scheduling.baseline import solve_plain
from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.instances import load_instance
from plantloop.optimize.scheduling.rules import Rule, dispatch
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve

ORTOOLS = version("ortools")
ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "scheduling"
_RANGE = re.compile(r"^([A-Za-z_]+?)(\d+)([A-Za-z]*)-(?:[A-Za-z_]+?)?(\d+)[A-Za-z]*$")


def _names_match(token: str, name: str) -> bool:
    m = _RANGE.match(token)
    if m:
        prefix, lo, suffix, hi = m.group(1), m.group(2), m.group(3), m.group(4)
        nm = re.match(rf"^{re.escape(prefix)}(\d+){re.escape(suffix)}$", name)
        if nm is None:
            return False
        return int(lo) <= int(nm.group(1)) <= int(hi) and len(nm.group(1)) == len(lo)
    if any(c in token for c in "*?["):
        return fnmatch.fnmatch(name, token)
    return name == token


def resolve(tokens: list[str], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for token in tokens:
        found = []
        if (ROOT / "fjsp" / token).is_dir():
            found = [r for r in rows if r["file"].startswith(f"fjsp/{token}/")]
        elif "/" in token:
            folder, _, pattern = token.rpartition("/")
            found = [
                r
                for r in rows
                if r["file"].startswith(f"fjsp/{folder}/") and _names_match(pattern, Path(r["file"]).stem)
            ]
        else:
            found = [r for r in rows if _names_match(token, r["instance"])]
        if not found:
            raise SystemExit(f"no instance matches {token!r}")
        for r in found:
            if r["instance"] not in seen:
                seen.add(r["instance"])
                out.append(r)
    return out


def _gap(value: int | None, bks: int) -> float | None:
    return None if value is None else 100.0 * (value - bks) / bks


#: named sets (the issue's targets): ``--sets la,ta,mk,hurink``
NAMED_SETS = {
    "la": ["la01-la40"],
    "ta": ["ta01-ta40"],
    "mk": ["mk01-mk10"],
    "hurink": ["hurink/edata", "hurink/rdata", "hurink/vdata", "hurink/sdata"],
}


def _load_results(path: Path | None, key: tuple[float, int, int]) -> dict[str, dict[str, object]]:
    """Rows already in the results file for this limit, workers and seed (resume)."""
    if path is None or not path.exists():
        return {}
    done: dict[str, dict[str, object]] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if (row["time_limit_s"], row["workers"], row["seed"]) == key:
            done[str(row["instance"])] = row
    return done


def _solve_one(row: dict[str, str], params: SolveParams, skip_plain: bool) -> dict[str, object]:
    fmt = "jssp" if row["problem"] == "JSSP" else "fjsp"
    problem = load_instance(ROOT / row["file"], fmt)
    if problem.n_ops != int(row["n_ops"]):
        raise SystemExit(f"{row['instance']}: {problem.n_ops} ops, bks.csv says {row['n_ops']}")
    bks = int(row["bks_makespan"])
    plan = solve(problem, params=params)
    if plan.violations:
        raise SystemExit(f"{row['instance']}: plantloop schedule infeasible: {plan.violations[:3]}")
    plain_ms: int | None = None
    plain_lb: int | None = None
    if not skip_plain:
        plain, plain_lb, _ = solve_plain(problem, params)
        if plain is not None:
            if check_schedule(problem, plain):
                raise SystemExit(f"{row['instance']}: plain CP-SAT schedule infeasible")
            plain_ms = plain.makespan
    t = time.perf_counter()
    mwkr = dispatch(problem, Rule.MWKR)
    mwkr_s = time.perf_counter() - t
    if check_schedule(problem, mwkr):
        raise SystemExit(f"{row['instance']}: MWKR schedule infeasible")
    return {
        "instance": row["instance"],
        "family": row["family"],
        "time_limit_s": params.time_limit_s,
        "workers": params.num_workers,
        "seed": params.random_seed,
        "bks": bks,
        "plantloop": plan.makespan,
        "plantloop_lb": plan.best_bound,
        "plantloop_optimal": plan.status.value == "optimal",
        "plantloop_time_s": round(plan.solve_time_s, 2),
        "plantloop_gap_pct": _gap(plan.makespan, bks),
        "plain": plain_ms,
        "plain_lb": plain_lb,
        "plain_gap_pct": _gap(plain_ms, bks),
        "mwkr": mwkr.makespan,
        "mwkr_gap_pct": _gap(mwkr.makespan, bks),
        "mwkr_time_s": mwkr_s,
        # the machine is shared: the 1-minute load average when the instance finished (2 cores)
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "plantloop_notes": list(plan.notes),
    }


def _cmp(row: dict[str, object]) -> int:
    """−1 when plantloop's makespan is shorter than the plain model's (or the plain one has none)."""
    ours, plain = row["plantloop"], row["plain"]
    if plain is None:
        return -1
    assert isinstance(ours, int) and isinstance(plain, int)
    return (ours > plain) - (ours < plain)


def _families(results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    groups: dict[str, list[dict[str, object]]] = {}
    for r in results:
        fam = str(r["family"])
        groups.setdefault(fam, []).append(r)
        if fam.startswith("hurink_"):
            groups.setdefault("hurink", []).append(r)
    families: dict[str, dict[str, object]] = {}
    for fam in sorted(groups):
        rs = groups[fam]
        plain_gaps = [float(g) for r in rs if (g := r["plain_gap_pct"]) is not None]  # type: ignore[arg-type]
        families[fam] = {
            "n": len(rs),
            "plantloop_gap_pct": round(mean(float(r["plantloop_gap_pct"]) for r in rs), 3),  # type: ignore[arg-type]
            "plantloop_optimal": sum(1 for r in rs if r["plantloop_optimal"]),
            "plain_cpsat_gap_pct": round(mean(plain_gaps), 3) if len(plain_gaps) == len(rs) else None,
            "plantloop_better": sum(1 for r in rs if _cmp(r) < 0),
            "plantloop_worse": sum(1 for r in rs if _cmp(r) > 0),
            "load_avg_1m_mean": round(mean(float(r.get("load_avg_1m", float("nan"))) for r in rs), 1),  # type: ignore[arg-type]
            "mwkr_gap_pct": round(mean(float(r["mwkr_gap_pct"]) for r in rs), 3),  # type: ignore[arg-type]
        }
    return families


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="ft06,la01-la03,mk01-mk02", help="instances (see module doc)")
    ap.add_argument("--time-limit", type=float, default=5.0, help="wall seconds per solver per instance")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-plain", action="store_true", help="do not run the plain CP-SAT baseline")
    ap.add_argument("--results", type=Path, help="JSONL file: append each instance, skip those already there")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    rows = list(csv.DictReader((ROOT / "bks.csv").open()))
    tokens = [t.strip() for t in args.sets.split(",") if t.strip()]
    expanded = [x for t in tokens for x in NAMED_SETS.get(t, [t])]
    chosen = resolve(expanded, rows)
    params = SolveParams(time_limit_s=args.time_limit, num_workers=args.workers, random_seed=args.seed)
    console = Console(stderr=args.json)
    done = _load_results(args.results, (args.time_limit, args.workers, args.seed))
    todo = [r for r in chosen if r["instance"] not in done]
    console.print(
        f"{len(chosen)} instances ({len(chosen) - len(todo)} already in {args.results}), {args.time_limit}s, "
        f"{args.workers} workers, seed {args.seed}, OR-Tools {ORTOOLS}, "
        f"{platform.processor() or platform.machine()}"
    )
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("solving", total=len(todo))
        for row in todo:
            progress.update(task, description=row["instance"])
            res = _solve_one(row, params, args.skip_plain)
            done[row["instance"]] = res
            if args.results is not None:
                with args.results.open("a") as fh:
                    fh.write(json.dumps(res) + "\n")
            console.print(
                f"{row['instance']:>14} bks {res['bks']:>6}  "
                f"plantloop {res['plantloop']:>6} ({_fmt(res['plantloop_gap_pct'])}"  # type: ignore[arg-type]
                f"{' opt' if res['plantloop_optimal'] else ''})  plain "
                f"{res['plain'] if res['plain'] is not None else '-':>6} "
                f"({_fmt(res['plain_gap_pct'])})  "  # type: ignore[arg-type]
                f"mwkr {res['mwkr']:>6} ({_fmt(res['mwkr_gap_pct'])})"  # type: ignore[arg-type]
            )
            progress.advance(task)
    results = [done[r["instance"]] for r in chosen]
    families = _families(results)
    table = Table(title=f"mean gap to BKS (%), {args.time_limit}s, {args.workers} workers")
    for col in ("family", "n", "plantloop", "proved opt", "plain CP-SAT", "MWKR", "better/worse", "load"):
        table.add_column(col, justify="right")
    for fam, f in families.items():
        table.add_row(
            fam,
            str(f["n"]),
            f"{f['plantloop_gap_pct']:.2f}",
            str(f["plantloop_optimal"]),
            _fmt(f["plain_cpsat_gap_pct"]),  # type: ignore[arg-type]
            f"{f['mwkr_gap_pct']:.2f}",
            f"{f['plantloop_better']}/{f['plantloop_worse']}",
            f"{f['load_avg_1m_mean']}",
        )
    console.print(table)
    if args.json:
        summary = {
            "time_limit_s": args.time_limit,
            "workers": args.workers,
            "seed": args.seed,
            "ortools": ORTOOLS,
            "instances": len(results),
            "families": families,
        }
        sys.stdout.write(json.dumps(summary) + "\n")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:6.2f}%"


if __name__ == "__main__":
    main()
