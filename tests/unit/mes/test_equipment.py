"""Equipment: the PackML transition table, operations, downtime with reason codes, maintenance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import Conflict, InvalidInput, NotFound
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.commands import EquipmentState as S
from plantloop.mes.domain.equipment import TRANSITIONS, Equipment
from plantloop.mes.domain.errors import EquipmentBusy, InvalidTransition
from plantloop.mes.domain.work_order import OperationStatus
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from tests.unit.mes.conftest import equipment_of

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


@pytest.mark.parametrize("state", list(S))
def test_every_state_not_in_the_transition_table_is_refused(state: S) -> None:
    for target in S:
        eq = Equipment(id="E", work_center_id="W", state=state)
        if target is state or target in TRANSITIONS[state]:
            eq.change_state(target, T0)
            assert eq.state is target
        else:
            with pytest.raises(InvalidTransition) as err:
                eq.change_state(target, T0)
            assert isinstance(err.value, Conflict) and err.value.entity_id == "E"


def test_every_state_has_a_way_back_to_idle() -> None:
    for state in S:
        assert state is S.IDLE or S.IDLE in TRANSITIONS[state]


def _start_first_op(
    released_order: Callable[..., list[str]], bus: MessageBus, queries: MesQueries, plant: PlantDefinition
) -> tuple[str, str]:
    released_order("WO-1")
    op = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    eq = equipment_of(plant, op.work_center_id)
    bus.handle(c.StartOperation(operation_id=op.id, equipment_id=eq))
    return op.id, eq


def test_starting_an_operation_executes_and_completing_it_idles_the_equipment(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    op_id, eq = _start_first_op(released_order, bus, queries, reference_plant)
    state = queries.equipment(eq)
    assert state is not None and state.state is S.EXECUTE and state.current_operation_id == op_id
    bus.handle(c.CompleteOperation(operation_id=op_id, qty_good=10))
    state = queries.equipment(eq)
    assert state is not None and state.state is S.IDLE and state.current_operation_id is None


def test_busy_equipment_cannot_start_a_second_operation(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    _, eq = _start_first_op(released_order, bus, queries, reference_plant)
    released_order("WO-2")
    other = queries.work_order("WO-2").operations[0]  # type: ignore[union-attr]
    with pytest.raises(EquipmentBusy):
        bus.handle(c.StartOperation(operation_id=other.id, equipment_id=eq))
    assert queries.work_order("WO-2").operations[0].status is OperationStatus.READY  # type: ignore[union-attr]


def test_a_breakdown_aborts_the_equipment_pauses_its_operation_and_resumes_it_when_repaired(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
) -> None:
    _op_id, eq = _start_first_op(released_order, bus, queries, reference_plant)
    bus.handle(c.StartDowntime(equipment_id=eq, reason_code="BRK"))
    assert queries.equipment(eq).state is S.ABORTED  # type: ignore[union-attr]
    assert queries.work_order("WO-1").operations[0].status is OperationStatus.PAUSED  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        bus.handle(c.StartDowntime(equipment_id=eq, reason_code="MINOR"))
    clock.advance(5400)
    bus.handle(c.EndDowntime(equipment_id=eq))
    assert queries.equipment(eq).state is S.EXECUTE  # type: ignore[union-attr]
    assert queries.work_order("WO-1").operations[0].status is OperationStatus.RUNNING  # type: ignore[union-attr]
    ended = [e for e in events() if e.type == "DowntimeEnded"]
    assert (
        len(ended) == 1
        and ended[0].payload["duration_s"] == 5400
        and ended[0].payload["reason_code"] == "BRK"
    )
    assert ended[0].equipment_path == reference_plant.equipment_paths[eq]


@pytest.mark.parametrize(("reason", "state"), [("SETUP", S.STOPPED), ("MINOR", S.HELD), ("BRK", S.ABORTED)])
def test_downtime_reasons_from_master_data_choose_the_equipment_state(
    bus: MessageBus, queries: MesQueries, reason: str, state: S
) -> None:
    bus.handle(c.StartDowntime(equipment_id="IM-01", reason_code=reason))
    assert queries.equipment("IM-01").state is state  # type: ignore[union-attr]
    bus.handle(c.EndDowntime(equipment_id="IM-01"))
    assert queries.equipment("IM-01").state is S.IDLE  # type: ignore[union-attr]


def test_unknown_reason_codes_and_equipment_are_rejected(bus: MessageBus) -> None:
    with pytest.raises(InvalidInput):
        bus.handle(c.StartDowntime(equipment_id="IM-01", reason_code="COFFEE"))
    with pytest.raises(NotFound):
        bus.handle(c.StartDowntime(equipment_id="NO-SUCH", reason_code="BRK"))
    with pytest.raises(Conflict):
        bus.handle(c.EndDowntime(equipment_id="IM-01"))


def test_maintenance_takes_equipment_out_of_production_until_completed(
    bus: MessageBus,
    queries: MesQueries,
    released_order: Callable[..., list[str]],
    reference_plant: PlantDefinition,
    clock: FakeClock,
    events: Callable[[], list[EventEnvelope]],
) -> None:
    released_order("WO-1")
    op = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    eq = equipment_of(reference_plant, op.work_center_id)
    bus.handle(
        c.CreateMaintenanceOrder(
            maintenance_order_id="MO-1", equipment_id=eq, kind=c.MaintenanceKind.PREVENTIVE
        )
    )
    bus.handle(c.StartMaintenance(maintenance_order_id="MO-1"))
    assert queries.equipment(eq).state is S.MAINTENANCE  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        bus.handle(c.StartOperation(operation_id=op.id, equipment_id=eq))
    with pytest.raises(Conflict):
        bus.handle(c.StartMaintenance(maintenance_order_id="MO-1"))
    clock.advance(1800)
    bus.handle(c.CompleteMaintenance(maintenance_order_id="MO-1", notes="bearings"))
    assert queries.equipment(eq).state is S.IDLE  # type: ignore[union-attr]
    mo = queries.maintenance_order("MO-1")
    assert mo is not None and mo.status.value == "completed"
    done = [e for e in events() if e.type == "MaintenanceCompleted"]
    assert done[0].payload["duration_s"] == 1800
    bus.handle(c.StartOperation(operation_id=op.id, equipment_id=eq))


def test_corrective_maintenance_of_a_broken_machine_ends_the_downtime_and_resumes_the_operation(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    op_id, eq = _start_first_op(released_order, bus, queries, reference_plant)
    bus.handle(c.StartDowntime(equipment_id=eq, reason_code="BRK"))
    bus.handle(
        c.CreateMaintenanceOrder(
            maintenance_order_id="MO-2", equipment_id=eq, kind=c.MaintenanceKind.CORRECTIVE
        )
    )
    bus.handle(c.StartMaintenance(maintenance_order_id="MO-2"))
    bus.handle(c.CompleteMaintenance(maintenance_order_id="MO-2"))
    state = queries.equipment(eq)
    assert state is not None and state.state is S.EXECUTE and not state.in_downtime
    assert queries.work_order("WO-1").operations[0].status is OperationStatus.RUNNING  # type: ignore[union-attr]
    bus.handle(c.CompleteOperation(operation_id=op_id, qty_good=10))


def test_a_maintenance_order_for_unknown_equipment_is_not_found(bus: MessageBus) -> None:
    with pytest.raises(NotFound):
        bus.handle(
            c.CreateMaintenanceOrder(
                maintenance_order_id="M", equipment_id="X", kind=c.MaintenanceKind.CORRECTIVE
            )
        )
    with pytest.raises(NotFound):
        bus.handle(c.StartMaintenance(maintenance_order_id="nope"))
