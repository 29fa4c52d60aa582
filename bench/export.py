"""Benchmark: streaming report export (xlsx / csv) of N rows against in-memory baselines, same run.

Each measurement runs in its own subprocess so that peak memory is its own: the worker builds the
warehouse-shaped ``dw.ads_order_delivery`` with N rows in DuckDB, notes its resident memory, then exports the
shipped ``order_delivery`` report while a sampler thread records the peak resident memory. Reported
``*_peak_mb`` is that peak minus the resident memory before the export started (so the DuckDB table
itself is not counted), plus the Python-heap peak is not traced (tracemalloc would distort the timing).

Baselines (same rows, same query):
  csv     fetchall() into a list, then csv.writer — the plain "dump it" approach
  pandas  DataFrame (fetchdf) then DataFrame.to_excel (openpyxl, not write-only); slow and memory-hungry,
          so by default it runs on --pandas-rows rows only and its figures say so

    python bench/export.py                  # 100k rows, xlsx + csv baseline
    python bench/export.py --rows 1000000 --json
    python bench/export.py --rows 1000000 --pandas-rows 100000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODES = ("xlsx", "csv", "baseline_csv", "baseline_pandas")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakSampler(threading.Thread):
    def __init__(self, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.peak_mb = _rss_mb()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_mb = max(self.peak_mb, _rss_mb())
            time.sleep(self.interval_s)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return max(self.peak_mb, _rss_mb())


def build_table(conn: Any, rows: int) -> None:
    """``rows`` work orders in ``dw.ads_order_delivery`` (the warehouse's schema), due over 60 days."""
    from plantloop.reports.sample_ads import fill_many_orders

    fill_many_orders(conn, rows, start=datetime(2026, 1, 1, tzinfo=UTC).date())


def worker(mode: str, rows: int) -> dict[str, Any]:
    import duckdb

    from plantloop.kernel.clock import FakeClock
    from plantloop.reports.definitions import load_catalog
    from plantloop.reports.export import ExportFormat, export_stream
    from plantloop.reports.query import ReportRunner

    conn = duckdb.connect()
    build_table(conn, rows)
    runner = ReportRunner(load_catalog(), FakeClock(datetime(2026, 3, 15, tzinfo=UTC)))
    params = {"due_from": "2025-12-01", "due_to": "2026-03-15"}
    out_path = Path(tempfile.mkdtemp()) / f"out.{mode}"
    before_mb = _rss_mb()
    sampler = PeakSampler()
    sampler.start()
    started = time.perf_counter()
    run = runner.run(conn, "order_delivery", params, None)
    written = 0
    if mode in ("xlsx", "csv"):
        with out_path.open("wb") as out:
            for piece in export_stream(run, ExportFormat(mode)):
                out.write(piece)
        written = rows
    elif mode == "baseline_csv":
        import csv

        data = run._cursor.fetchall()
        with out_path.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(data)
        written = len(data)
    else:
        frame = run._cursor.fetchdf()
        frame.to_excel(out_path, index=False, engine="openpyxl")
        written = len(frame)
    elapsed_s = time.perf_counter() - started
    peak_mb = sampler.stop()
    size_mb = out_path.stat().st_size / 1e6
    out_path.unlink()
    return {
        "mode": mode,
        "rows": written,
        "seconds": round(elapsed_s, 3),
        "rows_per_s": round(written / elapsed_s),
        "peak_mb": round(peak_mb - before_mb, 1),
        "file_mb": round(size_mb, 2),
    }


def measure(mode: str, rows: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--rows", str(rows)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pandas-rows", type=int, default=0, help="also run the pandas baseline on N rows")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows)))
        return
    results = {"xlsx": measure("xlsx", args.rows), "csv": measure("csv", args.rows)}
    results["baseline_csv"] = measure("baseline_csv", args.rows)
    if args.pandas_rows:
        results["baseline_pandas"] = measure("baseline_pandas", args.pandas_rows)
    for name, r in results.items():
        print(
            f"{name:16s} rows={r['rows']:>9,d}  {r['seconds']:8.2f} s  {r['rows_per_s']:>9,d} rows/s  "
            f"peak +{r['peak_mb']:7.1f} MB  file {r['file_mb']:.1f} MB"
        )
    summary: dict[str, Any] = {
        "export_rows": results["xlsx"]["rows"],
        "export_s": results["xlsx"]["seconds"],
        "export_rows_per_s": results["xlsx"]["rows_per_s"],
        "export_peak_mb": results["xlsx"]["peak_mb"],
        "csv_export_s": results["csv"]["seconds"],
        "csv_export_peak_mb": results["csv"]["peak_mb"],
        "baseline_csv_rows": results["baseline_csv"]["rows"],
        "baseline_csv_s": results["baseline_csv"]["seconds"],
        "baseline_csv_peak_mb": results["baseline_csv"]["peak_mb"],
    }
    if "baseline_pandas" in results:
        summary["baseline_pandas_rows"] = results["baseline_pandas"]["rows"]
        summary["baseline_pandas_s"] = results["baseline_pandas"]["seconds"]
        summary["baseline_pandas_peak_mb"] = results["baseline_pandas"]["peak_mb"]
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
