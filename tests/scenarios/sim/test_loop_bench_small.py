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
    # the paired change: the orders both runs completed, by hand
    b_orders, a_orders = rows[0]["orders"], rows[1]["orders"]
    both = [k for k, (_, end) in b_orders.items() if end is not None and a_orders[k][1] is not None]
    assert both and set(b_orders) == set(a_orders)  # the same demand for both policies

    def lead(orders: dict[str, list[float]]) -> float:
        return sum(orders[k][1] - orders[k][0] for k in both) / len(both)

    assert delta["paired_lead_time_change_pct"] == pytest.approx(
        100 * (lead(a_orders) / lead(b_orders) - 1), abs=0.01
    )
    # where the lead time goes: the parts add up to each policy's mean lead time
    for policy, parts in summary["lead_time_breakdown_h"].items():
        assert sum(parts.values()) == pytest.approx(summary["policies"][policy]["mean_lead_time_h"], abs=0.01)
        assert len(summary["waiting_by_work_center_h"][policy]) <= 3
    # a results file from before the per-order record gives no paired figure rather than a wrong one
    old = [{k: v for k, v in r.items() if k != "orders"} for r in rows]
    assert (
        bench.summarise(old, [4], ["baseline", "atcs"])["vs_baseline"]["atcs"]["paired_lead_time_change_pct"]
        is None
    )


def test_a_policy_with_sub_lots_is_compared_order_by_order_with_the_baseline(bench: ModuleType) -> None:
    """Sub-lots are counted as the customer order they deliver, so the paired comparison sees the same
    orders under both policies, and the empty plant's floor is that of the order moved as one lot."""
    rows = [bench.run_one(4, 2.0, policy, "default") for policy in ("baseline", "split")]
    base, split = rows
    assert set(base["orders"]) == set(split["orders"])  # customer orders, not work orders
    assert split["work_orders_released"] > len(split["orders"])  # some orders were split
    assert base["work_orders_released"] == len(base["orders"])
    both = [
        k for k, (_, end) in base["orders"].items() if end is not None and split["orders"][k][1] is not None
    ]
    assert both
    for key in both:  # a split order is released when the baseline releases it
        assert split["orders"][key][0] == pytest.approx(base["orders"][key][0])
    summary = bench.summarise(rows, [4], ["baseline", "split"])
    assert summary["vs_baseline"]["split"]["paired_lead_time_change_pct"] is not None
    assert split["orders_completed"] >= 1 and split["mean_lead_time_h"] < base["mean_lead_time_h"]
