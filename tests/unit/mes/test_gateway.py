"""The simulator's gateway onto the real bus: commands in, dispatch lists out, group commit on request."""

from __future__ import annotations

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.mes.domain import commands as c
from plantloop.mes.gateway import BusGateway


def test_the_gateway_sends_commands_and_reads_dispatch_lists_inside_group_commit(
    mes: Container, clock: FakeClock
) -> None:
    gateway = BusGateway(mes.bus, mes.queries)
    with gateway.group_commit(max_commands=100):
        ids = gateway.handle(
            c.CreateWorkOrder(work_order_id="WO-1", material_id="P-FAN-01", qty=3, due_at=clock.now())
        )
        gateway.handle(c.ReleaseWorkOrder(work_order_id="WO-1"))
        assert mes.outbox_reader.last_seq() == 0
        wc = mes.plant.routings_by_material["P-FAN-01"].operations[0].work_center_ids[0]
        items = gateway.dispatch_list(wc)  # a read barrier: the batch is written first
        assert mes.outbox_reader.last_seq() > 0
    assert ids[0] == "WO-1"
    assert [(i.operation_id, i.work_center_id, i.position) for i in items] == [("WO-1/010", wc, 0)]
