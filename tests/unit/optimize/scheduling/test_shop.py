"""Plant state → scheduling problem: alternatives, setups by routing, started work, outages, components."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.problem import Objective, SchedulingInputError
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.shop import (
    MachineState,
    OperationState,
    OrderState,
    Outage,
    ShopProblem,
    build_shop_problem,
)
from plantloop.optimize.scheduling.solve import solve
from plantloop.optimize.scheduling.timeaxis import TimeAxis

ORIGIN = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
AXIS = TimeAxis(ORIGIN, unit_s=60.0)
MACHINES = [
    MachineState("ASSY-1", "ASSY", speed_factor=1.0, last_material="KET-A", last_family="KETTLE"),
    MachineState("ASSY-2", "ASSY", speed_factor=0.5),
    MachineState("PRESS-1", "PRESS"),
]


def _shop(**overrides: object) -> ShopProblem:
    orders = [
        OrderState("WO-1", "KET-A", "KETTLE", due_s=6 * 3600.0, priority=1),
        OrderState("WO-1~BODY", "BODY", "FAB", due_s=4 * 3600.0, parent_work_order_id="WO-1"),
        OrderState("WO-2", "FAN-A", "FAN", due_s=3 * 3600.0),
        OrderState("WO-3", "KET-B", "KETTLE", due_s=None),
    ]
    operations = [
        OperationState(
            "WO-1/010", "WO-1", 10, ("ASSY",), 60, 60.0, 1200, 300, after_work_orders=("WO-1~BODY",)
        ),
        OperationState("WO-1~BODY/010", "WO-1~BODY", 10, ("PRESS",), 60, 30.0, 600, 0),
        OperationState("WO-2/010", "WO-2", 10, ("ASSY",), 30, 60.0, 1200, 300),
        OperationState("WO-3/010", "WO-3", 10, ("ASSY",), 30, 60.0, 1200, 300),
    ]
    kwargs: dict[str, object] = {
        "orders": orders,
        "operations": operations,
        "machines": MACHINES,
        "axis": AXIS,
    }
    kwargs.update(overrides)
    return build_shop_problem(**kwargs)  # type: ignore[arg-type]


def test_every_equipment_of_an_alternative_work_center_is_an_option_at_its_speed() -> None:
    shop = _shop()
    key = shop.key_of()["WO-2/010"]
    options = {shop.equipment_ids[o.machine]: o.duration for o in shop.problem.op(key).options}
    assert options == {"ASSY-1": 30, "ASSY-2": 60}  # 30 units × 60 s = 30 min, half speed: 60 min


def _handled(group_of_wo3: str) -> ShopProblem:
    """Three kettle lots at one step, 10 min of handling each: WO-1.1 and WO-1.2 are sub-lots of WO-1,
    WO-3 carries ``group_of_wo3``."""
    orders = [
        OrderState("WO-1.1", "KET-A", "KETTLE", due_s=6 * 3600.0),
        OrderState("WO-1.2", "KET-A", "KETTLE", due_s=6 * 3600.0),
        OrderState("WO-3", "KET-A", "KETTLE", due_s=6 * 3600.0),
    ]
    ops = [
        OperationState(f"{wo}/010", wo, 10, ("ASSY",), 30, 60.0, 1200, 300, fixed_s=600.0, handling_group=g)
        for wo, g in (("WO-1.1", "WO-1"), ("WO-1.2", "WO-1"), ("WO-3", group_of_wo3))
    ]
    return build_shop_problem(orders, ops, MACHINES[:2], AXIS)


def test_a_lots_handling_is_a_changeover_skipped_between_lots_of_one_order_at_one_step() -> None:
    shop = _handled("WO-3")
    p = shop.problem
    keys = shop.key_of()
    # the run time alone is the duration, at the machine's speed
    for op_id in ("WO-1.1/010", "WO-3/010"):
        assert {shop.equipment_ids[o.machine]: o.duration for o in p.op(keys[op_id]).options} == {
            "ASSY-1": 30,
            "ASSY-2": 60,
        }
    sub1, sub2, other = (p.setup_class(keys[f"{wo}/010"]) for wo in ("WO-1.1", "WO-1.2", "WO-3"))
    assert sub1 == sub2 != other
    assert p.setup_time(0, sub1, sub2) == 0  # the second sub-lot follows the first: no handling
    assert p.setup_time(0, sub1, other) == 10  # same material, another order: handling, no setup
    assert p.setup_time(1, sub1, other) == 10  # handling does not scale with the machine's speed
    # ASSY-1 last ran KET-A, but from another order: the first lot pays its handling
    assert p.initial_setup_time(0, keys["WO-3/010"]) == 10


def test_a_machine_that_just_ran_a_sibling_lot_takes_the_next_one_without_handling() -> None:
    orders = [OrderState(w, "KET-A", "KETTLE", due_s=6 * 3600.0) for w in ("WO-1.2", "WO-3")]
    ops = [
        OperationState(f"{wo}/010", wo, 10, ("ASSY",), 30, 60.0, 1200, 300, fixed_s=600.0, handling_group=g)
        for wo, g in (("WO-1.2", "WO-1"), ("WO-3", "WO-3"))
    ]
    ran_sibling = MachineState(
        "ASSY-1", "ASSY", last_material="KET-A", last_family="KETTLE", last_step=("WO-1", 10)
    )
    ran_other_step = MachineState(
        "ASSY-1", "ASSY", last_material="KET-A", last_family="KETTLE", last_step=("WO-1", 20)
    )
    shop = build_shop_problem(orders, ops, [ran_sibling], AXIS)
    keys = shop.key_of()
    assert shop.problem.initial_setup_time(0, keys["WO-1.2/010"]) == 0  # WO-1.1 ran here last
    assert shop.problem.initial_setup_time(0, keys["WO-3/010"]) == 10  # another order: its handling
    shop = build_shop_problem(orders, ops, [ran_other_step], AXIS)
    assert shop.problem.initial_setup_time(0, shop.key_of()["WO-1.2/010"]) == 10  # same order, other step


def test_the_planner_keeps_sub_lots_together_to_save_their_handling() -> None:
    one_machine = build_shop_problem(
        [OrderState(w, "KET-A", "KETTLE", due_s=None) for w in ("WO-1.1", "WO-3", "WO-1.2")],
        [
            OperationState(f"{w}/010", w, 10, ("ASSY",), 30, 60.0, 1200, 300, fixed_s=600.0, handling_group=g)
            for w, g in (("WO-1.1", "WO-1"), ("WO-3", "WO-3"), ("WO-1.2", "WO-1"))
        ],
        MACHINES[:1],
        AXIS,
    )
    plan = solve(one_machine.problem, Objective.MAKESPAN, SolveParams(time_limit_s=10, num_workers=1))
    assert check_schedule(one_machine.problem, plan.schedule) == []
    # three lots of 30 min; handling twice (the two orders), not three times
    assert plan.makespan == 3 * 30 + 2 * 10
    starts = sorted((a.start, one_machine.operation_ids[k]) for k, a in plan.schedule.by_key().items())
    order = [op_id.split("/")[0] for _, op_id in starts]
    assert order.index("WO-3") in (0, 2)  # never between the two sub-lots


def test_setups_follow_the_routing_none_minor_major_over_the_machine_speed() -> None:
    shop = _shop()
    p = shop.problem
    ket_a, ket_b, fan = "KET-A@10", "KET-B@10", "FAN-A@10"
    assert p.setup_time(0, ket_a, ket_a) == 0
    assert p.setup_time(0, ket_a, ket_b) == 5  # minor 300 s within the kettle family
    assert p.setup_time(0, ket_b, fan) == 20  # major 1200 s
    assert p.setup_time(1, ket_b, fan) == 40  # the half-speed machine takes twice as long
    # ASSY-1 last ran KET-A: a KET-B first needs the minor setup, KET-A none
    assert p.initial_setup_time(0, shop.key_of()["WO-3/010"]) == 5
    assert p.initial_setup_time(0, shop.key_of()["WO-1/010"]) == 0


def test_only_top_level_orders_carry_due_dates_and_rush_orders_weigh_more() -> None:
    shop = _shop()
    p = shop.problem
    jobs = {job.id: job for job in p.jobs}
    assert jobs["WO-1~BODY"].due is None
    assert jobs["WO-1"].due == 360 and jobs["WO-1"].weight > jobs["WO-2"].weight
    assert jobs["WO-3"].due is None
    assert shop.top_level == frozenset({"WO-1", "WO-2", "WO-3"})


def test_a_started_operation_is_frozen_with_its_remaining_time() -> None:
    running = OperationState(
        "WO-2/010", "WO-2", 10, ("ASSY",), 30, 60.0, started_on="ASSY-2", remaining_s=600.0
    )
    shop = _shop(operations=[running])
    key = shop.key_of()["WO-2/010"]
    assert shop.problem.frozen[key].start == 0
    assert shop.problem.op(key).options[0].duration == 10


def test_a_down_machine_is_unavailable_until_it_is_expected_back() -> None:
    machines = [*MACHINES[:2], MachineState("PRESS-1", "PRESS", available_s=7200.0)]
    shop = _shop(machines=machines)
    downs = [u for u in shop.problem.unavailable if u.machine == 2]
    assert [(u.start, u.end) for u in downs] == [(0, 120)]
    plan = solve(shop.problem, Objective.TARDINESS_AND_FLOW, SolveParams(time_limit_s=5, num_workers=1))
    body = plan.schedule.by_key()[shop.key_of()["WO-1~BODY/010"]]
    assert body.start >= 120


def test_a_down_machine_resumes_its_started_operation_when_it_is_back() -> None:
    machines = [*MACHINES[:2], MachineState("PRESS-1", "PRESS", available_s=3600.0)]
    running = OperationState(
        "WO-1~BODY/010", "WO-1~BODY", 10, ("PRESS",), 60, 30.0, started_on="PRESS-1", remaining_s=900.0
    )
    orders = [OrderState("WO-1~BODY", "BODY", "FAB", due_s=None, parent_work_order_id="WO-1")]
    shop = _shop(machines=machines, operations=[running], orders=orders)
    assert next(iter(shop.problem.frozen.values())).start == 60
    # nothing else may use the machine before it is back
    assert [(u.machine, u.start, u.end) for u in shop.problem.unavailable] == [(2, 0, 60)]


def test_planned_and_predicted_outages_become_unavailable_intervals() -> None:
    shop = _shop(outages=[Outage("ASSY-1", 3600.0, 7200.0, "predicted_failure")])
    assert [(u.machine, u.start, u.end, u.reason) for u in shop.problem.unavailable] == [
        (0, 60, 120, "predicted_failure")
    ]


def test_the_consuming_operation_waits_for_its_component_order() -> None:
    shop = _shop()
    plan = solve(shop.problem, Objective.TARDINESS_AND_FLOW, SolveParams(time_limit_s=5, num_workers=1))
    assert plan.violations == ()
    by_key = plan.schedule.by_key()
    body = by_key[shop.key_of()["WO-1~BODY/010"]]
    kettle = by_key[shop.key_of()["WO-1/010"]]
    assert kettle.start >= body.end
    assert check_schedule(shop.problem, plan.schedule) == []


def test_an_operation_without_equipment_is_an_error() -> None:
    bad = OperationState("WO-2/010", "WO-2", 10, ("NOWHERE",), 30, 60.0)
    with pytest.raises(SchedulingInputError):
        _shop(operations=[bad])


def test_an_operation_of_an_unknown_order_is_an_error() -> None:
    bad = OperationState("WO-9/010", "WO-9", 10, ("ASSY",), 30, 60.0)
    with pytest.raises(SchedulingInputError):
        _shop(operations=[bad])


def test_an_outage_that_would_cut_into_a_started_operation_waits_for_it_to_end() -> None:
    running = OperationState(
        "WO-2/010", "WO-2", 10, ("ASSY",), 30, 60.0, started_on="ASSY-1", remaining_s=1200.0
    )
    shop = _shop(operations=[running], outages=[Outage("ASSY-1", 0.0, 3600.0)])
    assert [(u.machine, u.start, u.end) for u in shop.problem.unavailable] == [(0, 20, 80)]
