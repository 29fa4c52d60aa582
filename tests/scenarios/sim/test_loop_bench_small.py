"""A small version of ``bench/loop_schedule.py`` in the suite: one seed, two days, two fast policies. The
ceiling and the floor it prints bound what the policies reach, and the summary compares them honestly."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.benches import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("loop_schedule")


def test_the_loop_bench_rows_respect_their_ceiling_and_floor_and_summarise(bench: ModuleType) -> None:
    rows = [bench.run_one(4, 2.0, policy, "default") for policy in ("baseline", "atcs")]
    for row in rows:
        assert row["orders_completed"] > 0
        assert 0 < row["lead_time_floor_h"] <= row["mean_lead_time_h"]
        assert row["on_time_rate"] <= row["on_time_ceiling"] + 1e-9
    summary = bench.summarise(rows, [4], ["baseline", "atcs"])
    base, atcs = summary["policies"]["baseline"], summary["policies"]["atcs"]
    delta = summary["vs_baseline"]["atcs"]
    assert delta["on_time_delta_points"] == pytest.approx(
        100 * (atcs["on_time_rate"] - base["on_time_rate"]), abs=0.01
    )
    assert delta["lead_time_change_pct"] == pytest.approx(
        100 * (atcs["mean_lead_time_h"] / base["mean_lead_time_h"] - 1), abs=0.01
    )
    assert base["lead_time_floor_h"] == rows[0]["lead_time_floor_h"]
