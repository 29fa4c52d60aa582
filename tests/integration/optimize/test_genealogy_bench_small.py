"""A small version of ``bench/genealogy.py`` in the suite: on a synthetic history in the MES tables, the
genealogy index and recursive SQL (SQLite and DuckDB) return the same lots and operations for every trace."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"


def test_index_and_recursive_sql_agree_on_every_trace_of_a_small_history(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import genealogy  # the bench script and its sibling history module
    finally:
        sys.path.remove(str(BENCH))
    report = genealogy.run(tmp_path / "history.sqlite", lots_target=3000, queries=12, fanout=20, seed=3)
    assert report["rows"]["lots"] >= 2900
    assert report["mismatches"] == 0
    sizes = report["answer_size_mean"]
    assert sizes["backward_lots"] >= 9 and sizes["backward_operations"] == 9  # 3 levels: 5 lots, 9 operations
    assert sizes["forward_end_lots"] >= 1
    assert report["latency"]["index_backward"]["p50_ms"] < 50  # loose: the recorded figures are in docs
