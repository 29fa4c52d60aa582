"""The message bus: events become outbox envelopes with deterministic ids in the command's transaction;
a failing command leaves nothing behind; group commit keeps each command atomic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import Conflict
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.work_order import OperationStatus, WorkOrderStatus
from plantloop.mes.handlers import HANDLERS, Context
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from tests.unit.mes.conftest import KETTLE


def _script(bus: MessageBus, clock: FakeClock) -> None:
    bus.handle(
        c.CreateWorkOrder(
            work_order_id="WO-1", material_id=KETTLE, qty=5, due_at=clock.now() + timedelta(days=1)
        )
    )
    bus.handle(c.ReleaseWorkOrder(work_order_id="WO-1"))
    bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/010", equipment_id="PR-01"))
    bus.handle(c.StartDowntime(equipment_id="PR-01", reason_code="BRK"))
    bus.handle(c.EndDowntime(equipment_id="PR-01"))


def test_the_same_commands_give_the_same_event_ids(reference_plant: PlantDefinition) -> None:
    runs = []
    for _ in range(2):
        clock = FakeClock()
        mes = build_in_memory_container(plant=reference_plant, clock=clock)
        _script(mes.bus, clock)
        runs.append([r.envelope.id for r in mes.outbox_reader.fetch_after(0, 1000)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == len(runs[0]) > 10


def test_events_carry_source_subject_time_and_equipment_path(
    bus: MessageBus,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
    reference_plant: PlantDefinition,
) -> None:
    _script(bus, clock)
    at = datetime(2026, 2, 1, 8, tzinfo=UTC)
    bus.handle(c.StartDowntime(equipment_id="PR-02", reason_code="MINOR", at=at))
    started = next(e for e in events() if e.type == "OperationStarted")
    assert started.source == "mes" and started.subject == "WO-1~SA-KBODY/010"
    assert started.equipment_path == reference_plant.equipment_paths["PR-01"]
    assert started.occurred_at == clock.now()
    last = events()[-1]
    assert (last.type, last.occurred_at, last.subject) == ("DowntimeStarted", at, "PR-02")
    created = next(e for e in events() if e.type == "WorkOrderCreated")
    assert created.equipment_path is None and created.payload["operation_ids"][0] == "WO-1/010"


def test_a_failing_command_writes_neither_state_nor_events(
    mes: Container,
    bus: MessageBus,
    queries: MesQueries,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
) -> None:
    _script(bus, clock)
    before = len(events())

    def release_then_fail(cmd: Any, ctx: Context) -> None:
        wo = ctx.uow.work_orders.get("WO-1")
        assert wo is not None
        wo.change(at=ctx.at, qty=None, due_at=None, priority=1)  # records an event, changes state …
        raise RuntimeError("disk on fire")  # … and then the handler fails

    failing = MessageBus(
        mes.uow_factory, mes.plant, clock, handlers={**HANDLERS, c.ChangeWorkOrder: release_then_fail}
    )
    with pytest.raises(RuntimeError):
        failing.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=1))
    assert len(events()) == before
    wo = queries.work_order("WO-1")
    assert wo is not None and wo.priority == 5
    bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=3))  # the cached aggregate was not left dirty
    assert queries.work_order("WO-1").priority == 3  # type: ignore[union-attr]
    assert [e.type for e in events()[before:]] == ["WorkOrderChanged"]


def test_a_refused_command_leaves_the_cached_aggregates_unchanged(bus: MessageBus, clock: FakeClock) -> None:
    _script(bus, clock)
    # PR-01 runs WO-1's stamping: starting another order on it fails after the work order was touched
    bus.handle(c.CreateWorkOrder(work_order_id="WO-2", material_id=KETTLE, qty=5, due_at=clock.now()))
    bus.handle(c.ReleaseWorkOrder(work_order_id="WO-2"))
    with pytest.raises(Conflict):
        bus.handle(c.StartOperation(operation_id="WO-2~SA-KBODY/010", equipment_id="PR-01"))
    bus.handle(c.StartOperation(operation_id="WO-2~SA-KBODY/010", equipment_id="PR-02"))


def test_a_batch_commits_successful_commands_together_and_drops_only_the_failed_one(
    mes: Container,
    bus: MessageBus,
    queries: MesQueries,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
) -> None:
    with bus.batch(max_commands=1000):
        bus.handle(c.CreateWorkOrder(work_order_id="WO-1", material_id=KETTLE, qty=5, due_at=clock.now()))
        bus.handle(c.ReleaseWorkOrder(work_order_id="WO-1"))
        assert mes.outbox_reader.last_seq() == 0  # nothing written yet
        bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/010", equipment_id="PR-01"))
        with pytest.raises(Conflict):  # touches the work order, then fails on the busy press
            bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/010", equipment_id="PR-01"))
        # the read side is a barrier: it sees every successful command of the batch
        assert queries.work_order("WO-1~SA-KBODY").status is WorkOrderStatus.IN_PROGRESS  # type: ignore[union-attr]
        bus.handle(c.CompleteOperation(operation_id="WO-1~SA-KBODY/010", qty_good=5))
    wo = queries.work_order("WO-1~SA-KBODY")
    assert wo is not None
    assert [op.status for op in wo.operations] == [OperationStatus.COMPLETED, OperationStatus.READY]
    types = [e.type for e in events()]
    assert types.count("OperationStarted") == 1 and types.count("OperationCompleted") == 1
    seqs = [r.seq for r in mes.outbox_reader.fetch_after(0, 1000)]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_commands_without_a_handler_are_invalid_input(bus: MessageBus) -> None:
    class Unknown(c.Command):
        pass

    with pytest.raises(Exception) as err:
        bus.handle(Unknown())
    assert err.value.__class__.__name__ == "InvalidInput"


def test_outbox_rows_are_exactly_the_kernel_envelopes_of_the_events(reference_plant: PlantDefinition) -> None:
    clock = FakeClock()
    mes = build_in_memory_container(plant=reference_plant, clock=clock)
    uow = mes.uow_factory()
    with uow:
        HANDLERS[c.CreateWorkOrder](
            c.CreateWorkOrder(work_order_id="WO-1", material_id=KETTLE, qty=5, due_at=clock.now()),
            Context(uow=uow, plant=reference_plant, at=clock.now(), issued_by="t"),
        )
        recorded = uow.collect_new_events()
    expected = [mes.bus.envelope(agg, seq, event, clock.now()) for agg, seq, event in recorded]
    mes.bus.handle(c.CreateWorkOrder(work_order_id="WO-1", material_id=KETTLE, qty=5, due_at=clock.now()))
    stored = [r.envelope for r in mes.outbox_reader.fetch_after(0, 100)]
    assert stored == expected
