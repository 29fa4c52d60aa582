"""A plan → PublishDispatchLists entries and the evidence the decision layer records."""

from __future__ import annotations

from datetime import UTC, datetime

from plantloop.mes.domain.commands import PublishDispatchLists
from plantloop.optimize.scheduling.problem import Objective
from plantloop.optimize.scheduling.publish import ShopPlan, entries, plan_evidence, plan_to_commands
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.shop import MachineState, OperationState, OrderState, build_shop_problem
from plantloop.optimize.scheduling.solve import solve
from plantloop.optimize.scheduling.timeaxis import TimeAxis

ORIGIN = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _plan(origin: datetime = ORIGIN) -> ShopPlan:
    machines = [MachineState("M-1", "WC-A"), MachineState("M-2", "WC-A"), MachineState("P-1", "WC-P")]
    orders = [OrderState(f"WO-{i}", f"PRD-{i % 2}", "F", due_s=4 * 3600.0) for i in range(4)]
    ops = [OperationState(f"WO-{i}/010", f"WO-{i}", 10, ("WC-A",), 20, 60.0, 600) for i in range(4)]
    ops += [OperationState(f"WO-{i}/020", f"WO-{i}", 20, ("WC-P",), 20, 30.0) for i in range(4)]
    ops.append(OperationState("WO-0/005", "WO-0", 5, ("WC-A",), 20, 60.0, started_on="M-1", remaining_s=300))
    shop = build_shop_problem(orders, ops, machines, TimeAxis(origin, unit_s=60.0))
    plan = solve(shop.problem, Objective.ON_TIME_AND_FLOW, SolveParams(time_limit_s=5, num_workers=1))
    assert plan.violations == ()
    return ShopPlan(shop, plan, moved_ops=2, trigger="machine_down")


def test_entries_list_every_open_operation_once_in_planned_order_per_work_center() -> None:
    shop_plan = _plan()
    items = entries(shop_plan)
    ids = [e.operation_id for e in items]
    assert sorted(ids) == sorted(f"WO-{i}/{s}" for i in range(4) for s in ("010", "020"))
    assert "WO-0/005" not in ids  # started: not the list's business any more
    for wc in ("WC-A", "WC-P"):
        listed = [e for e in items if e.work_center_id == wc]
        assert [e.position for e in listed] == list(range(len(listed)))
        starts = [e.planned_start_at for e in listed]
        assert starts == sorted(starts)  # type: ignore[type-var]
        assert all(e.equipment_id is not None for e in listed)


def test_the_command_carries_a_version_that_is_stable_for_the_same_plan_and_new_for_a_new_one() -> None:
    first = plan_to_commands(_plan(), decision_id="DEC-7")
    again = plan_to_commands(_plan())
    later = plan_to_commands(_plan(datetime(2026, 1, 5, 7, 0, tzinfo=UTC)))
    assert isinstance(first[0], PublishDispatchLists) and first[0].decision_id == "DEC-7"
    assert first[0].schedule_version == again[0].schedule_version  # type: ignore[union-attr]
    assert first[0].schedule_version != later[0].schedule_version  # type: ignore[union-attr]
    assert len(first[0].schedule_version) <= 64  # type: ignore[union-attr]


def test_unpinned_entries_leave_the_equipment_to_the_work_center() -> None:
    assert all(e.equipment_id is None for e in entries(_plan(), pin_equipment=False))


def test_evidence_reports_gap_bound_moves_and_is_json_friendly() -> None:
    import json

    evidence = plan_evidence(_plan())
    json.dumps(evidence)
    assert evidence["moved_ops"] == 2 and evidence["trigger"] == "machine_down"
    assert evidence["started_operations"] == 1 and evidence["open_operations"] == 8
    assert 0 <= evidence["best_bound"] <= evidence["objective_value"]
    assert evidence["status"] in ("optimal", "feasible", "heuristic")


def test_pinning_ahead_pins_only_each_machines_next_operations() -> None:
    items = entries(_plan(), pin_ahead=1)
    pinned: dict[str, int] = {}
    for e in items:
        if e.equipment_id is not None:
            pinned[e.equipment_id] = pinned.get(e.equipment_id, 0) + 1
    assert pinned and all(n == 1 for n in pinned.values())
    assert any(e.equipment_id is None for e in items)
