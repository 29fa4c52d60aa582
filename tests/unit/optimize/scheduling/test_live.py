"""The live rescheduler on a real (in-memory) MES: it follows the outbox from the present, re-plans on a
disruption against the dispatch lists in force, and its plan reaches the MES through the decision layer."""

from __future__ import annotations

import pytest

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.loop import DecisionKind, DecisionStatus
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.scheduling.live import LiveRescheduler, plan_in_force


def _rescheduler(mes: Container, plant: PlantDefinition) -> LiveRescheduler:
    return LiveRescheduler(
        mes.queries, mes.outbox_reader, mes.decisions, plant, mes.clock, time_limit_s=20.0, primary_weight=1
    )


def test_it_follows_the_outbox_from_the_present_and_replans_on_a_breakdown_only(
    mes: Container, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    live = _rescheduler(mes, reference_plant)
    assert live.poll() is None  # the orders released before it started are history, not news
    first = live.replan_now([])  # the first plan, as a planner would ask for it
    assert first is not None and first.kind is DecisionKind.SCHEDULE
    assert first.status is DecisionStatus.ACKNOWLEDGED  # published at once by default; the MES took it
    in_force = plan_in_force(mes.queries, reference_plant)
    assert in_force and all(op.startswith("WO-") for op in in_force)
    assert live.poll() is None  # its own publication is not a reason to re-plan

    down = sorted({eq for eq, _ in in_force.values() if eq.startswith("IM-")})[0]
    on_down = {op for op, (eq, _) in in_force.items() if eq == down}
    clock.advance(60)
    mes.bus.handle(c.StartDowntime(equipment_id=down, reason_code="BRK"))
    decision = live.poll()
    assert decision is not None and decision.status is DecisionStatus.ACKNOWLEDGED
    assert "machine_down" in decision.title and down in decision.title
    after = plan_in_force(mes.queries, reference_plant)
    assert set(after) == set(in_force)  # every open operation is still planned
    assert all(eq != down for eq, _ in after.values())  # none on the broken machine
    moved = live.history[-1]["moved_ops"]
    assert len(on_down) <= moved < len(in_force)  # what was on it moved; not everything did
    assert live.history[-1]["trigger"] == ["machine_down"]


def test_a_held_order_leaves_the_plan_and_comes_back_when_released(
    mes: Container, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    live = _rescheduler(mes, reference_plant)
    live.replan_now([])
    wo = mes.queries.work_order("WO-2")
    assert wo is not None
    first_op, *rest = [op.id for op in wo.operations]
    in_force = plan_in_force(mes.queries, reference_plant)
    held_ops = set(rest)
    assert held_ops <= set(in_force)
    # work started makes the order's lot; a quality engineer then holds it
    mes.bus.handle(c.StartOperation(operation_id=first_op, equipment_id=in_force[first_op][0]))
    clock.advance(60)
    mes.bus.handle(c.HoldLot(lot_id=wo.lot_id, reason="suspect supplier lot"))
    assert live.poll() is not None
    assert not held_ops & set(plan_in_force(mes.queries, reference_plant))
    assert live.history[-1]["trigger"] == ["lot_held"]
    clock.advance(60)
    mes.bus.handle(c.ReleaseLot(lot_id=wo.lot_id, reason="reviewed: use as is"))
    assert live.poll() is not None
    assert held_ops <= set(plan_in_force(mes.queries, reference_plant))
    assert live.history[-1]["trigger"] == ["lot_released"]


def test_a_failed_poll_keeps_its_events_for_the_next_one(
    mes: Container, reference_plant: PlantDefinition, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _rescheduler(mes, reference_plant)
    start = live.cursor
    clock.advance(60)
    mes.bus.handle(c.StartDowntime(equipment_id="IM-01", reason_code="BRK"))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(live, "replan_now", broken)
    with pytest.raises(RuntimeError):
        live.poll()
    assert live.cursor == start
    monkeypatch.undo()
    assert live.poll() is not None and live.cursor is not None and live.cursor > (start or 0)
