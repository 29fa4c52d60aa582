"""Orders released as sub-lots (lot streaming) on the twin: the same demand, counted per customer order,
and — when the scenario gives a lot a handling time — paid for at every step a sub-lot does not simply
continue its sibling's run."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import pytest

from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.kpis import customer_orders
from plantloop.sim.orders import OpState, SimOperation
from plantloop.sim.run import run_simulation
from plantloop.sim.scenario import scenario


def test_sub_lots_deliver_the_same_demand_and_count_once_per_customer_order(
    reference_plant: PlantDefinition,
) -> None:
    whole = run_simulation(scenario(days=3, seed=2, telemetry_hz=0.0), plant=reference_plant)
    split = run_simulation(scenario(days=3, seed=2, policy="split", telemetry_hz=0.0), plant=reference_plant)
    assert [o.sales_order_id for o in whole.orders] == [o.sales_order_id for o in split.orders]
    orders = customer_orders(split.plant)
    assert split.kpis.orders_released == whole.kpis.orders_released == len(orders)
    assert any(len(o.lots) > 1 for o in orders), "orders of 60 units and more are split"
    by_key = {o.work_order_id: o for o in split.orders}
    for order in orders:
        assert order.qty == by_key[order.key].qty
        assert {wo.due_s for wo in order.lots} == {by_key[order.key].due_s}
        if order.completed_s is not None:
            assert order.completed_s == max(wo.completed_s or 0.0 for wo in order.lots)
    # the lots overlap: a second sub-lot has finished its first step before the first sub-lot's last step
    overlapped = 0
    for order in orders:
        if len(order.lots) < 2 or order.completed_s is None:
            continue
        first, second = order.lots[0], order.lots[1]
        if (second.operations[0].completed_s or 0.0) > (first.operations[-1].started_s or 0.0):
            overlapped += 1
    assert overlapped > 0
    assert split.kpis.mean_lead_time_h < whole.kpis.mean_lead_time_h


@pytest.mark.parametrize("handling_s", [0.0, 600.0])
def test_a_lots_handling_time_is_paid_at_each_step_unless_a_sibling_sub_lot_just_ran_it(
    reference_plant: PlantDefinition, handling_s: float
) -> None:
    config = scenario(days=2, seed=5, policy="split", telemetry_hz=0.0, lot_handling_s=handling_s)
    result = run_simulation(config, plant=reference_plant)
    by_machine: dict[str, list[SimOperation]] = defaultdict(list)
    for op in result.plant.ops.values():
        if op.state is OpState.DONE and op.equipment_id is not None:
            by_machine[op.equipment_id].append(op)
    continued = paid = 0
    for ops in by_machine.values():
        ops.sort(key=lambda o: o.started_s or 0.0)
        for before, op in pairwise(ops):
            sibling = (
                before.work_order.order_key == op.work_order.order_key and before.spec.seq == op.spec.seq
            )
            if sibling:
                continued += 1
                assert op.setup_s == 0.0  # same material, same step: no setup, no handling
            else:
                paid += 1
                assert op.setup_s >= handling_s
    assert continued > 0 and paid > 0


def test_lot_sizes_that_do_not_make_up_the_order_are_refused_by_the_command(
    reference_plant: PlantDefinition,
) -> None:
    from plantloop.kernel.errors import Conflict
    from plantloop.sim.policies import Policy, fifo_rule

    short = Policy("short", fifo_rule, lot_sizes=lambda qty: [qty - 1, 2] if qty > 1 else [qty + 1])
    with pytest.raises(Conflict, match="add up to"):
        run_simulation(scenario(days=1, seed=2, telemetry_hz=0.0), plant=reference_plant, policy=short)
