"""The live rescheduler as a second process on the MES's database (SQLite file and PostgreSQL): the floor
writes through one container, the rescheduler reads the outbox and publishes through another, and the
dispatch lists operators read follow every disruption."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.loop import DecisionKind
from plantloop.mes.domain import commands as c
from plantloop.optimize.scheduling.live import LiveRescheduler, plan_in_force

Make = Callable[..., Container]


def test_the_rescheduler_process_follows_breakdowns_and_holds_written_by_the_floor(
    make_container: Make,
) -> None:
    clock = FakeClock()
    floor = make_container(clock)
    for n, material in enumerate(["P-KET-01", "P-BLE-01", "P-FAN-01", "P-HEA-01"]):
        wo = f"WO-{n + 1}"
        due = clock.now() + timedelta(hours=20 + 4 * n)
        floor.bus.handle(c.CreateWorkOrder(work_order_id=wo, material_id=material, qty=30, due_at=due))
        floor.bus.handle(c.ReleaseWorkOrder(work_order_id=wo))
    planner = make_container(clock)
    live = LiveRescheduler(
        planner.queries, planner.outbox_reader, planner.decisions, planner.plant, clock, time_limit_s=15.0
    )
    assert live.replan_now([]) is not None
    in_force = plan_in_force(floor.queries, floor.plant)  # what the floor sees
    assert in_force

    down = sorted({eq for eq, _ in in_force.values() if eq.startswith("IM-")})[0]
    clock.advance(120)
    floor.bus.handle(c.StartDowntime(equipment_id=down, reason_code="BRK"))
    wo = floor.queries.work_order("WO-3")
    assert wo is not None
    first_op, *rest = [op.id for op in wo.operations]
    floor.bus.handle(c.StartOperation(operation_id=first_op, equipment_id=in_force[first_op][0]))
    floor.bus.handle(c.HoldLot(lot_id=wo.lot_id, reason="suspect"))
    decision = live.poll()  # both disruptions in one poll: one plan
    assert decision is not None
    assert live.history[-1]["trigger"] == ["lot_held", "machine_down"]
    after = plan_in_force(floor.queries, floor.plant)
    assert after and all(eq != down for eq, _ in after.values())
    assert not set(rest) & set(after)
    assert live.poll() is None  # nothing new since
    schedules = planner.decisions.list(kind=DecisionKind.SCHEDULE)
    assert len(schedules) == 2 and all(d.proposed_by == "rescheduler" for d in schedules)
