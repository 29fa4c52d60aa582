"""An order created in sub-lots (``CreateWorkOrder.lot_qtys``): one transaction, all or none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.errors import Conflict
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.sub_lots import lots_of
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from plantloop.sim.gateway import RecordingGateway
from tests.unit.mes.conftest import KETTLE


def _order(clock: FakeClock, wo_id: str = "SO9", qty: int = 120, **extra: object) -> c.CreateWorkOrder:
    return c.CreateWorkOrder(
        work_order_id=wo_id,
        material_id=KETTLE,
        qty=qty,
        due_at=clock.now() + timedelta(days=3),
        priority=2,
        sales_order_id="S-9",
        customer="ACME",
        **extra,  # type: ignore[arg-type]
    )


def _children(plant: PlantDefinition) -> list[str]:
    return [
        i.material_id
        for i in plant.boms_by_material[KETTLE].items
        if i.material_id in plant.routings_by_material
    ]


def test_an_order_in_sub_lots_becomes_one_work_order_per_lot_each_with_its_own_components(
    bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    ids = bus.handle(_order(clock, lot_qtys=[40, 40, 40]))
    children = _children(reference_plant)
    assert children, "the kettle has component orders"
    expected = [x for i in (1, 2, 3) for x in [f"SO9.{i}", *(f"SO9.{i}~{m}" for m in children)]]
    assert ids == expected
    assert queries.work_order("SO9") is None
    for i in (1, 2, 3):
        lot = queries.work_order(f"SO9.{i}")
        assert lot is not None
        assert (lot.qty, lot.priority, lot.status) == (40, 2, WorkOrderStatus.CREATED)
        assert lot.due_at == clock.now() + timedelta(days=3)
        assert lot.parent_work_order_id is None
        assert lot.sales_order_id == "S-9"
    # each sub-lot is released (with its components) on its own
    assert bus.handle(c.ReleaseWorkOrder(work_order_id="SO9.2"))[0] == "SO9.2"
    released = {wo.id for wo in queries.work_orders(status=WorkOrderStatus.RELEASED, limit=1000)}
    assert "SO9.2" in released and "SO9.1" not in released


def test_one_lot_quantity_is_the_whole_order(bus: MessageBus, queries: MesQueries, clock: FakeClock) -> None:
    ids = bus.handle(_order(clock, qty=50, lot_qtys=[50]))
    assert ids[0] == "SO9" and queries.work_order("SO9.1") is None


def test_sub_lots_are_created_all_or_none(bus: MessageBus, queries: MesQueries, clock: FakeClock) -> None:
    bus.handle(_order(clock, wo_id="SO9.2", qty=10))  # an order that happens to carry a sub-lot's id
    with pytest.raises(Conflict, match=r"SO9\.2"):
        bus.handle(_order(clock, lot_qtys=[60, 60]))
    assert queries.work_order("SO9.1") is None  # the first lot was not created either


def test_the_same_order_cannot_come_in_twice_split_or_whole(bus: MessageBus, clock: FakeClock) -> None:
    bus.handle(_order(clock, lot_qtys=[60, 60]))
    with pytest.raises(Conflict):
        bus.handle(_order(clock, lot_qtys=[60, 60]))  # a retried request
    with pytest.raises(Conflict, match="SO9"):
        bus.handle(_order(clock))  # the order again, whole


@pytest.mark.parametrize(
    ("lot_qtys", "message"),
    [([60, 50], "add up to 110"), ([130, -10], "positive"), ([], "at least 1")],
)
def test_lot_quantities_must_make_up_the_order(clock: FakeClock, lot_qtys: list[int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _order(clock, lot_qtys=lot_qtys)


def test_a_child_order_is_not_split(clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match="child"):
        _order(clock, lot_qtys=[60, 60], parent_work_order_id="SO1")


def test_lots_of_names_the_sub_lots() -> None:
    assert lots_of("WO-7", 90) == [("WO-7", 90)]
    assert lots_of("WO-7", 90, [90]) == [("WO-7", 90)]
    assert lots_of("WO-7", 90, [45, 45]) == [("WO-7.1", 45), ("WO-7.2", 45)]


def test_the_in_memory_mes_twin_creates_sub_lots_as_the_mes_does(
    bus: MessageBus, reference_plant: PlantDefinition, clock: FakeClock
) -> None:
    gateway = RecordingGateway(reference_plant)
    order = _order(clock, lot_qtys=[40, 40, 40])
    assert gateway.handle(order) == bus.handle(order)
    with pytest.raises(Conflict):
        gateway.handle(_order(clock))


def test_the_trace_finds_an_order_created_in_sub_lots_by_its_own_id(
    bus: MessageBus, queries: MesQueries, clock: FakeClock
) -> None:
    from plantloop.ui.trace import resolve

    bus.handle(_order(clock, lot_qtys=[60, 60]).model_copy(update={"sales_order_id": None}))
    bus.handle(_order(clock, wo_id="SO8", qty=10))
    found = {wo.id for wo in resolve(queries, "SO9")}
    assert {"SO9.1", "SO9.2"} <= found and not any(w.startswith("SO8") for w in found)
    assert all(w.startswith("SO9.") for w in found)  # the sub-lots and their component orders
    assert {wo.id for wo in resolve(queries, "SO9.2")} == {w for w in found if w.startswith("SO9.2")}
    assert resolve(queries, "SO7") == []
