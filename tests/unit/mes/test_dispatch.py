"""Dispatch lists: FIFO by default, replaced by published schedule versions, idempotent, never stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from plantloop.kernel.clock import FakeClock
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import Conflict, InvalidInput, NotFound
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.commands import DispatchEntry
from plantloop.mes.domain.dispatch import BoardEntry, Candidate, order_dispatch_list
from plantloop.mes.domain.errors import StaleScheduleVersion, WrongWorkCenter
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries

PRESS = "FAB-PRESS"


def _stamp(wo: str) -> str:
    return f"{wo}~SA-KBODY/010"


@pytest.fixture
def three_orders(released_order: Callable[..., list[str]], clock: FakeClock) -> list[str]:
    for wo in ("WO-1", "WO-2", "WO-3"):
        clock.advance(60)
        released_order(wo)
    return [_stamp(wo) for wo in ("WO-1", "WO-2", "WO-3")]


def _ids(queries: MesQueries, wc: str = PRESS) -> list[str]:
    return [i.operation_id for i in queries.dispatch_list(wc)]


def _publish(
    bus: MessageBus, version: str, ops: list[str], wc: str = PRESS, equipment_id: str | None = None
) -> object:
    entries = [
        DispatchEntry(operation_id=o, work_center_id=wc, position=i, equipment_id=equipment_id)
        for i, o in enumerate(ops)
    ]
    return bus.handle(c.PublishDispatchLists(schedule_version=version, entries=entries))


def test_without_a_schedule_the_list_is_first_in_first_out_by_release(
    three_orders: list[str], queries: MesQueries
) -> None:
    items = queries.dispatch_list(PRESS)
    assert [i.operation_id for i in items] == three_orders
    assert all(i.status == "ready" and not i.published and i.schedule_version is None for i in items)
    assert [i.position for i in items] == [0, 1, 2]


def test_unreleased_orders_do_not_appear(bus: MessageBus, queries: MesQueries, clock: FakeClock) -> None:
    bus.handle(c.CreateWorkOrder(work_order_id="WO-X", material_id="P-KET-01", qty=5, due_at=clock.now()))
    assert _ids(queries) == []


def test_pending_operations_are_listed_but_ready_only_hides_them(
    three_orders: list[str], queries: MesQueries
) -> None:
    welds = queries.dispatch_list("FAB-WELD")
    assert [i.status for i in welds] == ["pending"] * 3
    assert queries.dispatch_list("FAB-WELD", ready_only=True) == []


def test_a_published_version_replaces_the_order_and_unlisted_ready_operations_follow(
    three_orders: list[str], bus: MessageBus, queries: MesQueries
) -> None:
    assert _publish(bus, "S1", [three_orders[2], three_orders[0]], equipment_id="PR-02") == [PRESS]
    items = queries.dispatch_list(PRESS)
    assert [i.operation_id for i in items] == [three_orders[2], three_orders[0], three_orders[1]]
    assert [i.published for i in items] == [True, True, False]
    assert items[0].equipment_id == "PR-02" and items[2].equipment_id is None
    assert {i.schedule_version for i in items} == {"S1"}


def test_publishing_the_same_version_twice_changes_nothing(
    three_orders: list[str], bus: MessageBus, queries: MesQueries, events: Callable[[], list[EventEnvelope]]
) -> None:
    _publish(bus, "S1", [three_orders[1]])
    written = len(events())
    assert _publish(bus, "S1", [three_orders[2], three_orders[0]]) == []
    assert len(events()) == written
    assert _ids(queries)[0] == three_orders[1]


def test_a_newer_version_replaces_an_older_one_but_not_the_reverse(
    three_orders: list[str], bus: MessageBus, queries: MesQueries, clock: FakeClock
) -> None:
    early = clock.now()
    clock.advance(600)
    _publish(bus, "S2", [three_orders[2]])
    with pytest.raises(StaleScheduleVersion) as err:
        bus.handle(
            c.PublishDispatchLists(
                at=early,
                schedule_version="S1",
                entries=[DispatchEntry(operation_id=three_orders[0], work_center_id=PRESS, position=0)],
            )
        )
    assert isinstance(err.value, Conflict)
    clock.advance(600)
    _publish(bus, "S3", [three_orders[1]])
    assert _ids(queries)[0] == three_orders[1]
    assert queries.schedule_version(PRESS) == "S3"


def test_started_operations_and_held_orders_leave_the_list(
    three_orders: list[str], bus: MessageBus, queries: MesQueries
) -> None:
    bus.handle(c.StartOperation(operation_id=three_orders[0], equipment_id="PR-01"))
    assert _ids(queries) == three_orders[1:]
    bus.handle(c.StartOperation(operation_id=three_orders[1], equipment_id="PR-02"))
    bus.handle(c.HoldLot(lot_id="LOT-WO-2~SA-KBODY", reason="suspect"))
    assert _ids(queries) == three_orders[2:]


def test_publishing_can_move_an_operation_to_an_alternative_work_center(
    three_orders: list[str], bus: MessageBus, queries: MesQueries, reference_plant: PlantDefinition
) -> None:
    op = "WO-1/010"  # kettle pre-assembly: L1-ASSY preferred, L2-ASSY allowed
    assert op in _ids(queries, "L1-ASSY")
    _publish(bus, "S1", [op], wc="L2-ASSY")
    assert op in _ids(queries, "L2-ASSY") and op not in _ids(queries, "L1-ASSY")
    with pytest.raises(WrongWorkCenter):
        _publish(bus, "S2", [op], wc="L3-ASSY")
    with pytest.raises(InvalidInput):
        _publish(bus, "S3", [op], wc="L2-ASSY", equipment_id="PR-01")
    with pytest.raises(NotFound):
        _publish(bus, "S4", ["WO-404/010"], wc="L2-ASSY")
    with pytest.raises(NotFound):
        queries.dispatch_list("NO-SUCH-WC")


def test_ordering_puts_published_entries_first_then_fifo() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)

    def cand(op: str, wo: str, seq: int, minute: int) -> Candidate:
        return Candidate(op, wo, "M", 1, seq, "ready", 5, t, t.replace(minute=minute))

    candidates = [
        cand("B/010", "B", 10, 2),
        cand("A/020", "A", 20, 1),
        cand("A/010", "A", 10, 1),
        cand("C/010", "C", 10, 3),
    ]
    entries = [BoardEntry("C/010", 0), BoardEntry("GONE/010", 1)]
    items = order_dispatch_list("W", candidates, entries, "S9")
    assert [i.operation_id for i in items] == ["C/010", "A/010", "A/020", "B/010"]
    assert [i.published for i in items] == [True, False, False, False]
