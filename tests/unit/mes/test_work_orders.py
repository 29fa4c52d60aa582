"""Work orders: BOM explosion, release, operation sequencing, completion, cancellation."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import Conflict, InvalidInput, NotFound
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import NoRouting, OperationNotReady, UnknownMaterial
from plantloop.mes.domain.lot import LotStatus
from plantloop.mes.domain.work_order import OperationStatus, WorkOrderStatus
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from tests.unit.mes.conftest import KETTLE, equipment_of


def _run_order(
    bus: MessageBus, queries: MesQueries, plant: PlantDefinition, clock: FakeClock, wo_id: str
) -> None:
    wo = queries.work_order(wo_id)
    assert wo is not None
    for op in wo.operations:
        clock.advance(60)
        bus.handle(c.StartOperation(operation_id=op.id, equipment_id=equipment_of(plant, op.work_center_id)))
        clock.advance(600)
        bus.handle(c.CompleteOperation(operation_id=op.id, qty_good=wo.qty - 1, qty_scrap=1))


def test_creating_a_work_order_explodes_intermediates_into_child_orders(
    bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    due = clock.now() + timedelta(days=3)
    ids = bus.handle(
        c.CreateWorkOrder(work_order_id="SO1", material_id=KETTLE, qty=7, due_at=due, priority=2)
    )
    intermediates = [
        i
        for i in reference_plant.boms_by_material[KETTLE].items
        if i.material_id in reference_plant.routings_by_material
    ]
    assert ids[0] == "SO1"
    assert ids[1:] == [f"SO1~{i.material_id}" for i in intermediates]
    for item in intermediates:
        child = queries.work_order(f"SO1~{item.material_id}")
        assert child is not None
        assert child.qty == math.ceil(7 * item.qty_per)
        assert child.due_at == due - timedelta(hours=8)
        assert child.priority == 2
        assert child.parent_work_order_id == "SO1"
        assert child.status is WorkOrderStatus.CREATED
    parent = queries.work_order("SO1")
    assert parent is not None
    seqs = [op.seq for op in reference_plant.routings_by_material[KETTLE].operations]
    assert [op.id for op in parent.operations] == [f"SO1/{s:03d}" for s in seqs]


def test_creating_the_same_work_order_twice_is_a_conflict(released_order: Callable[..., list[str]]) -> None:
    released_order("WO-1")
    with pytest.raises(Conflict):
        released_order("WO-1")


def test_unknown_or_purchased_materials_cannot_be_ordered(bus: MessageBus, clock: FakeClock) -> None:
    with pytest.raises(UnknownMaterial) as unknown:
        bus.handle(c.CreateWorkOrder(work_order_id="X", material_id="NOPE", qty=1, due_at=clock.now()))
    assert isinstance(unknown.value, InvalidInput)
    with pytest.raises(NoRouting):
        bus.handle(c.CreateWorkOrder(work_order_id="X", material_id="RM-PP", qty=1, due_at=clock.now()))


def test_releasing_an_order_releases_its_children_and_readies_first_operations(
    released_order: Callable[..., list[str]], queries: MesQueries
) -> None:
    ids = released_order("WO-1")
    for wo_id in ids:
        wo = queries.work_order(wo_id)
        assert wo is not None
        assert wo.status is WorkOrderStatus.RELEASED
        assert wo.operations[0].status is OperationStatus.READY
        assert all(op.status is OperationStatus.PENDING for op in wo.operations[1:])


def test_releasing_an_order_twice_is_an_invalid_transition(
    released_order: Callable[..., list[str]], bus: MessageBus
) -> None:
    released_order("WO-1")
    with pytest.raises(Conflict):
        bus.handle(c.ReleaseWorkOrder(work_order_id="WO-1"))


def test_releasing_an_unknown_order_is_not_found(bus: MessageBus) -> None:
    with pytest.raises(NotFound):
        bus.handle(c.ReleaseWorkOrder(work_order_id="missing"))


def test_an_operation_cannot_start_before_its_predecessor_completes(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    released_order("WO-1")
    wo = queries.work_order("WO-1")
    assert wo is not None
    second = wo.operations[1]
    with pytest.raises(OperationNotReady):
        bus.handle(
            c.StartOperation(
                operation_id=second.id, equipment_id=equipment_of(reference_plant, second.work_center_id)
            )
        )


def test_an_unreleased_order_cannot_start(
    bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    bus.handle(c.CreateWorkOrder(work_order_id="WO-9", material_id=KETTLE, qty=1, due_at=clock.now()))
    op = queries.work_order("WO-9").operations[0]  # type: ignore[union-attr]
    with pytest.raises(OperationNotReady):
        bus.handle(
            c.StartOperation(
                operation_id=op.id, equipment_id=equipment_of(reference_plant, op.work_center_id)
            )
        )


def test_running_every_operation_completes_the_order_and_fills_its_lot(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
) -> None:
    released_order("WO-1", qty=10)
    _run_order(bus, queries, reference_plant, clock, "WO-1")
    wo = queries.work_order("WO-1")
    assert wo is not None
    assert wo.status is WorkOrderStatus.COMPLETED
    assert (wo.qty_good, wo.qty_scrap) == (9, len(wo.operations))
    lot = queries.lot("LOT-WO-1")
    assert lot is not None
    assert (lot.qty, lot.status) == (9.0, LotStatus.AVAILABLE)
    completed = [e for e in events() if e.type == "WorkOrderCompleted"]
    assert len(completed) == 1
    payload = completed[0].payload
    assert payload["qty_good"] == 9 and payload["qty_scrap"] == len(wo.operations)
    assert payload["due_at"] == wo.due_at.isoformat() and payload["completed_at"] == clock.now().isoformat()
    types = [e.type for e in events() if e.subject == "LOT-WO-1"]
    assert types == ["LotCreated", "LotCompleted"]


def test_pausing_and_resuming_moves_the_operation_and_its_equipment(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    released_order("WO-1")
    op = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    eq = equipment_of(reference_plant, op.work_center_id)
    bus.handle(c.StartOperation(operation_id=op.id, equipment_id=eq))
    bus.handle(c.PauseOperation(operation_id=op.id, reason_code="MAT"))
    assert queries.work_order("WO-1").operations[0].status is OperationStatus.PAUSED  # type: ignore[union-attr]
    assert queries.equipment(eq).state is c.EquipmentState.SUSPENDED  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        bus.handle(c.PauseOperation(operation_id=op.id, reason_code="MAT"))
    bus.handle(c.ResumeOperation(operation_id=op.id))
    assert queries.work_order("WO-1").operations[0].status is OperationStatus.RUNNING  # type: ignore[union-attr]
    assert queries.equipment(eq).state is c.EquipmentState.EXECUTE  # type: ignore[union-attr]


def test_cancelling_an_order_cancels_its_unstarted_children_but_not_while_running(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    ids = released_order("WO-1")
    first = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    bus.handle(
        c.StartOperation(
            operation_id=first.id, equipment_id=equipment_of(reference_plant, first.work_center_id)
        )
    )
    with pytest.raises(Conflict):
        bus.handle(c.CancelWorkOrder(work_order_id="WO-1"))
    bus.handle(c.CompleteOperation(operation_id=first.id, qty_good=10))
    cancelled = bus.handle(c.CancelWorkOrder(work_order_id="WO-1", reason="customer"))
    assert cancelled == ids
    for wo_id in ids:
        wo = queries.work_order(wo_id)
        assert wo is not None and wo.status is WorkOrderStatus.CANCELLED
    assert queries.work_order("WO-1").operations[1].status is OperationStatus.CANCELLED  # type: ignore[union-attr]


def test_changing_an_order_updates_due_date_and_priority(
    released_order: Callable[..., list[str]], bus: MessageBus, queries: MesQueries, clock: FakeClock
) -> None:
    released_order("WO-1")
    new_due = clock.now() + timedelta(days=9)
    bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", due_at=new_due, priority=1, qty=12))
    wo = queries.work_order("WO-1")
    assert wo is not None and (wo.due_at, wo.priority, wo.qty) == (new_due, 1, 12)


@pytest.mark.parametrize(
    ("field", "when", "ok"),
    [
        (
            "due_at",
            "9999-12-31T23:59:59-05:00",
            False,
        ),  # past the year 9999 in UTC: once an overflow downstream
        ("at", "1900-01-01T00:00:00Z", False),
        ("at", "1990-01-01T00:00:00Z", True),
        ("due_at", "2200-12-31T23:59:59+00:00", True),
        ("due_at", "2201-01-01T00:00:00+00:00", False),
    ],
)
def test_a_command_at_an_implausible_year_is_refused_before_it_reaches_the_event_log(
    bus: MessageBus, queries: MesQueries, field: str, when: str, ok: bool
) -> None:
    """A shop-floor time at year 9999 once went into the event log; the live view could not put it in the
    plant's time zone, and the outbox relay failed on it for ever (nothing after it reached the big
    screen). Such a time is refused where it comes in."""
    fields: dict[str, object] = {"due_at": "2026-01-09T12:00:00Z", field: when}
    before = len(queries.events())
    if ok:
        bus.handle(c.CreateWorkOrder(work_order_id="WO-T", material_id=KETTLE, qty=5, **fields))  # type: ignore[arg-type]
        assert len(queries.events()) > before
        return
    with pytest.raises(ValueError, match="outside the years 1990-2200"):
        c.CreateWorkOrder(work_order_id="WO-T", material_id=KETTLE, qty=5, **fields)  # type: ignore[arg-type]
    assert len(queries.events()) == before
