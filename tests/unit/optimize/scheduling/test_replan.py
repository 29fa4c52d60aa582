"""MES events that call for a new plan, and a replan on the live MES that moves only what it must."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.scheduling.from_mes import shop_from_mes
from plantloop.optimize.scheduling.problem import Objective
from plantloop.optimize.scheduling.publish import ShopPlan
from plantloop.optimize.scheduling.replan import TriggerReason, previous_of, replan, trigger_of
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _event(type_: str, **payload: object) -> EventEnvelope:
    return EventEnvelope(
        id=f"e-{type_}",
        type=type_,
        occurred_at=AT,
        recorded_at=AT,
        source="mes",
        subject="X",
        payload=payload,
    )


@pytest.mark.parametrize(
    ("type_", "payload", "reason"),
    [
        ("DowntimeStarted", {"reason_code": "BRK"}, TriggerReason.MACHINE_DOWN),
        ("DowntimeEnded", {}, TriggerReason.MACHINE_BACK),
        ("MaintenanceOrderCreated", {"kind": "predictive"}, TriggerReason.PREDICTED_FAILURE),
        ("WorkOrderCreated", {"priority": 1}, TriggerReason.RUSH_ORDER),
        ("WorkOrderChanged", {}, TriggerReason.ORDER_CHANGED),
        ("WorkOrderCancelled", {}, TriggerReason.ORDER_CANCELLED),
        ("OperationCompleted", {"qty_scrap": 3}, TriggerReason.QTY_SCRAPPED),
        ("LotHeld", {"reason": "suspect"}, TriggerReason.LOT_HELD),
        ("LotReleased", {"reason": "reviewed"}, TriggerReason.LOT_RELEASED),
    ],
)
def test_disruptions_in_the_mes_event_stream_call_for_a_new_plan(
    type_: str, payload: dict[str, object], reason: TriggerReason
) -> None:
    trigger = trigger_of(_event(type_, **payload))
    assert trigger is not None and trigger.reason is reason and trigger.at == AT


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        ("WorkOrderCreated", {"priority": 5}),
        ("OperationCompleted", {"qty_scrap": 0}),
        ("MaintenanceOrderCreated", {"kind": "preventive"}),
        ("MaterialConsumed", {}),
    ],
)
def test_ordinary_events_do_not_call_for_a_new_plan(type_: str, payload: dict[str, object]) -> None:
    assert trigger_of(_event(type_, **payload)) is None


def test_a_machine_down_replan_moves_only_what_it_must_and_avoids_the_machine(
    mes: Container, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    params = SolveParams(time_limit_s=120, num_workers=1, random_seed=2, deterministic_time=0.3)
    first_shop = shop_from_mes(mes.queries, reference_plant, clock.now())
    first = ShopPlan(first_shop, solve(first_shop.problem, Objective.ON_TIME_AND_FLOW, params))
    previous = previous_of(first)
    busy = {eq for eq, _ in previous.values()}
    down = sorted(e for e in busy if e.startswith("IM-"))[0]  # a molding machine with planned work
    on_down = {op for op, (eq, _) in previous.items() if eq == down}
    clock.advance(60)
    mes.bus.handle(c.StartDowntime(equipment_id=down, reason_code="BRK"))
    events = [r.envelope for r in mes.outbox_reader.fetch_after(0, 10_000)]
    triggers = [t for e in events if (t := trigger_of(e)) is not None]
    assert [t.reason for t in triggers] == [TriggerReason.MACHINE_DOWN]

    shop = shop_from_mes(mes.queries, reference_plant, clock.now())
    again = replan(shop, previous, Objective.ON_TIME_AND_FLOW, params, trigger="machine_down")
    assert again.plan.violations == ()
    machine = shop.equipment_ids.index(down)
    back = max(u.end for u in shop.problem.unavailable if u.machine == machine)
    for a in again.plan.schedule.assignments:
        if a.machine == machine:
            assert a.start >= back
    assert again.moved_ops is not None and again.machine_changes is not None
    assert again.moved_ops > 0 and on_down
    # a from-scratch plan of the same disrupted problem, for comparison: it moves much more
    scratch = solve(shop.problem, Objective.ON_TIME_AND_FLOW, params)
    scratch_moved = 0
    for a in scratch.schedule.assignments:
        eq, start = previous[shop.operation_ids[(a.job, a.op)]]
        if (a.job, a.op) in shop.problem.frozen:
            continue
        moved_s = abs((shop.axis.to_datetime(a.start) - start).total_seconds())
        scratch_moved += eq != shop.equipment_ids[a.machine] or moved_s > 60
    assert again.moved_ops < scratch_moved
    assert again.plan.best_bound <= again.plan.objective_value


def test_a_replan_without_a_disruption_keeps_the_plan(
    mes: Container, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    params = SolveParams(time_limit_s=120, num_workers=1, random_seed=2, deterministic_time=0.3)
    shop = shop_from_mes(mes.queries, reference_plant, clock.now())
    first = ShopPlan(shop, solve(shop.problem, Objective.ON_TIME_AND_FLOW, params))
    again = replan(shop, previous_of(first), Objective.ON_TIME_AND_FLOW, params)
    assert again.moved_ops == 0 and again.machine_changes == 0
    assert again.plan.objective_value <= first.plan.objective_value
