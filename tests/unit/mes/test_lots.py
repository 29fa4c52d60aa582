"""Lots: receipt, consumption with genealogy, holds, and tracing backward and forward."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plantloop.kernel.errors import Conflict, NotFound
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import InsufficientLotQty, LotOnHold, OperationNotReady
from plantloop.mes.domain.lot import LotKind, LotStatus
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from tests.unit.mes.conftest import equipment_of


@pytest.fixture
def running_kbody(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> str:
    """WO-1's SA-KBODY child order running its first operation (stamping steel); returns the op id."""
    released_order("WO-1", qty=10)
    op = queries.work_order("WO-1~SA-KBODY").operations[0]  # type: ignore[union-attr]
    bus.handle(
        c.StartOperation(operation_id=op.id, equipment_id=equipment_of(reference_plant, op.work_center_id))
    )
    bus.handle(c.ReceiveMaterialLot(lot_id="STEEL-1", material_id="RM-SS304", supplier_id="SUP-SS", qty=100))
    return op.id


def test_receiving_a_lot_makes_it_available_and_twice_is_a_conflict(
    bus: MessageBus, queries: MesQueries
) -> None:
    bus.handle(
        c.ReceiveMaterialLot(
            lot_id="PP-1", material_id="RM-PP", supplier_id="SUP-HX", qty=2000, supplier_lot_ref="HX-77"
        )
    )
    lot = queries.lot("PP-1")
    assert lot is not None
    assert (lot.lot_kind, lot.status, lot.qty, lot.supplier_lot_ref) == (
        LotKind.PURCHASED,
        LotStatus.AVAILABLE,
        2000,
        "HX-77",
    )
    with pytest.raises(Conflict):
        bus.handle(c.ReceiveMaterialLot(lot_id="PP-1", material_id="RM-PP", supplier_id="SUP-HX", qty=1))


def test_consuming_material_records_genealogy_and_takes_the_quantity(
    running_kbody: str, bus: MessageBus, queries: MesQueries
) -> None:
    bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="STEEL-1", qty=6))
    steel = queries.lot("STEEL-1")
    assert steel is not None and steel.qty == pytest.approx(94)
    produced = queries.lot("LOT-WO-1~SA-KBODY")
    assert produced is not None
    assert [(e.component_lot_id, e.qty, e.operation_id) for e in produced.components] == [
        ("STEEL-1", 6, running_kbody)
    ]


def test_consuming_more_than_a_lot_holds_is_refused_and_changes_nothing(
    running_kbody: str, bus: MessageBus, queries: MesQueries
) -> None:
    with pytest.raises(InsufficientLotQty) as err:
        bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="STEEL-1", qty=100.5))
    assert err.value.lot_id == "STEEL-1"
    assert queries.lot("STEEL-1").qty == 100  # type: ignore[union-attr]
    assert queries.lot("LOT-WO-1~SA-KBODY").components == []  # type: ignore[union-attr]


def test_a_held_lot_cannot_be_consumed_until_released(
    running_kbody: str, bus: MessageBus, queries: MesQueries
) -> None:
    bus.handle(c.HoldLot(lot_id="STEEL-1", reason="supplier complaint", decision_id="D-1"))
    with pytest.raises(LotOnHold):
        bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="STEEL-1", qty=1))
    with pytest.raises(Conflict):
        bus.handle(c.HoldLot(lot_id="STEEL-1", reason="again"))
    bus.handle(c.ReleaseLot(lot_id="STEEL-1", reason="cleared"))
    bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="STEEL-1", qty=1))
    assert queries.lot("STEEL-1").qty == 99  # type: ignore[union-attr]


def test_holding_a_produced_lot_holds_its_work_order(
    released_order: Callable[..., list[str]],
    bus: MessageBus,
    queries: MesQueries,
    reference_plant: PlantDefinition,
) -> None:
    released_order("WO-1")
    ops = queries.work_order("WO-1~SA-KBODY").operations  # type: ignore[union-attr]
    bus.handle(
        c.StartOperation(
            operation_id=ops[0].id, equipment_id=equipment_of(reference_plant, ops[0].work_center_id)
        )
    )
    bus.handle(c.CompleteOperation(operation_id=ops[0].id, qty_good=10))
    bus.handle(c.HoldLot(lot_id="LOT-WO-1~SA-KBODY", reason="weld suspect"))
    assert queries.work_order("WO-1~SA-KBODY").held  # type: ignore[union-attr]
    with pytest.raises(OperationNotReady):
        bus.handle(
            c.StartOperation(
                operation_id=ops[1].id, equipment_id=equipment_of(reference_plant, ops[1].work_center_id)
            )
        )
    bus.handle(c.ReleaseLot(lot_id="LOT-WO-1~SA-KBODY"))
    bus.handle(
        c.StartOperation(
            operation_id=ops[1].id, equipment_id=equipment_of(reference_plant, ops[1].work_center_id)
        )
    )


def test_an_unfinished_produced_lot_cannot_be_consumed(
    running_kbody: str, bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition
) -> None:
    parent_first = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    bus.handle(
        c.StartOperation(
            operation_id=parent_first.id,
            equipment_id=equipment_of(reference_plant, parent_first.work_center_id),
        )
    )
    with pytest.raises(Conflict):
        bus.handle(c.ConsumeMaterial(operation_id=parent_first.id, lot_id="LOT-WO-1~SA-KBODY", qty=1))


def test_genealogy_traces_backward_and_forward_through_levels(
    running_kbody: str, bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition
) -> None:
    bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="STEEL-1", qty=6))
    child_ops = queries.work_order("WO-1~SA-KBODY").operations  # type: ignore[union-attr]
    bus.handle(c.CompleteOperation(operation_id=child_ops[0].id, qty_good=10))
    bus.handle(
        c.StartOperation(
            operation_id=child_ops[1].id,
            equipment_id=equipment_of(reference_plant, child_ops[1].work_center_id),
        )
    )
    bus.handle(c.CompleteOperation(operation_id=child_ops[1].id, qty_good=10))
    parent_first = queries.work_order("WO-1").operations[0]  # type: ignore[union-attr]
    bus.handle(
        c.StartOperation(
            operation_id=parent_first.id,
            equipment_id=equipment_of(reference_plant, parent_first.work_center_id),
        )
    )
    bus.handle(c.ConsumeMaterial(operation_id=parent_first.id, lot_id="LOT-WO-1~SA-KBODY", qty=10))
    backward = queries.genealogy("LOT-WO-1", "backward")
    assert [(link.component_lot_id, link.depth) for link in backward] == [
        ("LOT-WO-1~SA-KBODY", 1),
        ("STEEL-1", 2),
    ]
    forward = queries.genealogy("STEEL-1", "forward")
    assert [(link.produced_lot_id, link.depth) for link in forward] == [
        ("LOT-WO-1~SA-KBODY", 1),
        ("LOT-WO-1", 2),
    ]
    assert queries.lot("LOT-WO-1~SA-KBODY").status is LotStatus.CONSUMED  # type: ignore[union-attr]


def test_unknown_lots_are_not_found(running_kbody: str, bus: MessageBus) -> None:
    with pytest.raises(NotFound):
        bus.handle(c.ConsumeMaterial(operation_id=running_kbody, lot_id="nope", qty=1))
    with pytest.raises(NotFound):
        bus.handle(c.HoldLot(lot_id="nope", reason="x"))
