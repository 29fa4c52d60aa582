"""The in-memory MES twin and the shift calendar."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from plantloop.kernel.errors import Conflict
from plantloop.mes.domain.commands import (
    CompleteOperation,
    CreateWorkOrder,
    DispatchEntry,
    PublishDispatchLists,
    ReleaseWorkOrder,
)
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.gateway import RecordingGateway

DUE = datetime(2026, 1, 9, tzinfo=UTC)


def _create(gateway: RecordingGateway, wo: str, material: str = "P-KET-01") -> list[str]:
    ids: list[str] = gateway.handle(
        CreateWorkOrder(work_order_id=wo, material_id=material, qty=10, due_at=DUE)
    )
    return ids


def test_creating_a_work_order_explodes_its_intermediates_into_child_orders(
    reference_plant: PlantDefinition,
) -> None:
    gateway = RecordingGateway(reference_plant)
    assert _create(gateway, "WO-1", "P-COO-01") == ["WO-1", "WO-1~SA-HOUSE-L", "WO-1~SA-PLATE"]
    with pytest.raises(Conflict):
        _create(gateway, "WO-1")


def test_released_operations_are_listed_first_in_first_out_at_their_preferred_work_center(
    reference_plant: PlantDefinition,
) -> None:
    gateway = RecordingGateway(reference_plant)
    _create(gateway, "WO-1")
    _create(gateway, "WO-2")
    assert gateway.dispatch_list("L1-ASSY") == []
    gateway.handle(ReleaseWorkOrder(work_order_id="WO-2"))
    gateway.handle(ReleaseWorkOrder(work_order_id="WO-1"))
    assert [i.operation_id for i in gateway.dispatch_list("L1-ASSY")] == ["WO-2/010", "WO-1/010"]
    assert [i.operation_id for i in gateway.dispatch_list("FAB-PRESS")] == [
        "WO-2~SA-KBODY/010",
        "WO-1~SA-KBODY/010",
    ]
    gateway.handle(CompleteOperation(operation_id="WO-2/010", qty_good=10))
    assert [i.operation_id for i in gateway.dispatch_list("L1-ASSY")] == ["WO-1/010"]


def test_a_published_list_replaces_the_order_and_may_move_operations_to_an_alternative(
    reference_plant: PlantDefinition,
) -> None:
    gateway = RecordingGateway(reference_plant)
    for wo in ("WO-1", "WO-2", "WO-3"):
        _create(gateway, wo)
        gateway.handle(ReleaseWorkOrder(work_order_id=wo))
    entries = [
        DispatchEntry(operation_id="WO-3/010", work_center_id="L1-ASSY", position=0),
        DispatchEntry(operation_id="WO-1/010", work_center_id="L1-ASSY", position=1),
        DispatchEntry(operation_id="WO-2/010", work_center_id="L2-ASSY", position=0, equipment_id="AS-22"),
    ]
    gateway.handle(PublishDispatchLists(schedule_version="v1", entries=entries))
    assert [i.operation_id for i in gateway.dispatch_list("L1-ASSY")] == ["WO-3/010", "WO-1/010"]
    moved = gateway.dispatch_list("L2-ASSY")
    assert [(i.operation_id, i.equipment_id) for i in moved] == [("WO-2/010", "AS-22")]
    gateway.handle(PublishDispatchLists(schedule_version="v1", entries=list(reversed(entries))))
    assert [i.operation_id for i in gateway.dispatch_list("L1-ASSY")] == ["WO-3/010", "WO-1/010"]


def test_the_calendar_follows_site_time_and_stops_on_the_non_working_day(
    reference_plant: PlantDefinition,
) -> None:
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # Monday 14:00 in Asia/Shanghai
    cal = SimCalendar(reference_plant.calendar, reference_plant.site.timezone, start, 14 * 86_400)
    assert cal.shift_at(0) == "B"
    # Sunday 2026-01-11 06:00 .. Monday 06:00 Shanghai time = Saturday 22:00 .. Sunday 22:00 UTC
    sunday_noon_local = (datetime(2026, 1, 11, 4, 0, tzinfo=UTC) - start).total_seconds()
    assert not cal.is_working(sunday_noon_local)
    assert cal.shift_at(sunday_noon_local) is None
    monday = cal.next_start(sunday_noon_local)
    assert cal.at(monday) == datetime(2026, 1, 11, 22, 0, tzinfo=UTC)
    assert cal.shift_at(monday) == "A"
    saturday_night = (datetime(2026, 1, 10, 15, 0, tzinfo=UTC) - start).total_seconds()  # Sat 23:00 local
    assert cal.shift_at(saturday_night) == "C"
    assert cal.window_end(saturday_night) == sunday_noon_local - 6 * 3600
    assert cal.working_s(0, 7 * 86_400) == 6 * 86_400
    # backwards over the rest day: 8 working hours before Sunday noon end at Saturday 22:00 local
    back = cal.back_working(sunday_noon_local, 8 * 3600)
    assert cal.at(back) == datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
    assert cal.working_s(back, sunday_noon_local) == 8 * 3600
    for t, hours in ((3600.0, 5.0), (sunday_noon_local, 30.0), (monday, 0.0)):
        assert cal.add_working(cal.back_working(t, hours * 3600), hours * 3600) <= t
    assert cal.back_working(0, 30 * 86_400) == -math.inf  # before the calendar's first window
