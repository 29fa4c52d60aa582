"""The MES store on real databases (SQLite file and PostgreSQL): migrations, one transaction for state
and events, optimistic concurrency, read side, and the relay's exactly-once delivery across a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.errors import Conflict
from plantloop.mes import orm
from plantloop.mes.database import alembic_config, create_engine, current_revision, upgrade_database
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.lot import Lot, LotStatus
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.mes.handlers import HANDLERS, Context
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.outbox import OutboxRelay, RecordingSubscriber, SqlCheckpointStore

Make = Callable[..., Container]
KETTLE = "P-KET-01"


def _count(container: Container, table: sa.Table) -> int:
    assert container.engine is not None
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _order(container: Container, wo_id: str = "WO-1") -> None:
    clock = container.clock
    container.bus.handle(
        c.CreateWorkOrder(
            work_order_id=wo_id, material_id=KETTLE, qty=4, due_at=clock.now() + timedelta(days=1)
        )
    )
    container.bus.handle(c.ReleaseWorkOrder(work_order_id=wo_id))


def _mes_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare only the MES's own tables (other contexts, e.g. decisions, add theirs to the same chain)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in orm.metadata.tables


def test_migrations_upgrade_an_empty_database_to_exactly_the_orm_schema(db_url: str) -> None:
    upgrade_database(db_url)
    upgrade_database(db_url)  # idempotent
    engine = create_engine(db_url)
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert head is not None and current_revision(engine) == head
        with engine.connect() as conn:
            diffs = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": False, "include_object": _mes_object}),
                orm.metadata,
            )
        assert diffs == []
    finally:
        engine.dispose()


def test_a_command_writes_its_state_and_events_together(make_container: Make) -> None:
    mes = make_container()
    _order(mes)
    assert _count(mes, orm.work_orders) == 2
    assert _count(mes, orm.outbox) == mes.outbox_reader.last_seq() > 0
    # a second process sees the same state without its cache
    other = make_container()
    wo = other.queries.work_order("WO-1")
    assert wo is not None and wo.status is WorkOrderStatus.RELEASED
    assert wo.due_at.tzinfo is not None


def test_a_failing_handler_writes_neither_state_nor_events(make_container: Make) -> None:
    mes = make_container()
    _order(mes)
    events_before = mes.outbox_reader.last_seq()

    def change_then_fail(cmd: Any, ctx: Context) -> None:
        wo = ctx.uow.work_orders.get("WO-1")
        assert wo is not None
        wo.change(at=ctx.at, qty=None, due_at=None, priority=1)
        ghost = Lot.receive(
            id="GHOST", material_id="RM-PP", supplier_id="SUP-HX", qty=1, supplier_lot_ref=None, at=ctx.at
        )
        ctx.uow.lots.add(ghost)
        raise RuntimeError("handler bug")

    failing = MessageBus(
        mes.uow_factory, mes.plant, mes.clock, handlers={**HANDLERS, c.ChangeWorkOrder: change_then_fail}
    )
    with pytest.raises(RuntimeError):
        failing.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=1))
    assert mes.outbox_reader.last_seq() == events_before
    assert _count(mes, orm.lots) == 0
    assert mes.queries.work_order("WO-1").priority == 5  # type: ignore[union-attr]


def test_a_refused_command_after_a_partial_change_writes_nothing(make_container: Make) -> None:
    mes = make_container()
    _order(mes)
    before = mes.outbox_reader.last_seq()
    # the equipment accepts the start, then the work order refuses: its second operation is not ready
    with pytest.raises(Conflict):
        mes.bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/020", equipment_id="WD-01"))
    assert mes.outbox_reader.last_seq() == before
    assert mes.queries.equipment("WD-01").state is c.EquipmentState.IDLE  # type: ignore[union-attr]
    mes.bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/010", equipment_id="PR-01"))


def test_a_stale_cache_in_another_process_is_caught_by_the_version_check(make_container: Make) -> None:
    a, b = make_container(), make_container()
    _order(a)
    b.bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=2))  # b caches WO-1
    a.bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=3))  # a's cache is stale now, b wrote
    b.bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=4))  # b's copy is stale: detected, retried
    a.bus.handle(c.CancelWorkOrder(work_order_id="WO-1"))
    with pytest.raises(Conflict):  # b retries on fresh state and is refused by the domain, not overwritten
        b.bus.handle(c.ChangeWorkOrder(work_order_id="WO-1", priority=1))
    wo = a.queries.work_order("WO-1")
    assert wo is not None and wo.status is WorkOrderStatus.CANCELLED and wo.priority == 4


def test_the_read_side_answers_on_the_real_database(make_container: Make) -> None:
    mes = make_container()
    _order(mes)
    bus, q = mes.bus, mes.queries
    bus.handle(c.ReceiveMaterialLot(lot_id="ST-1", material_id="RM-SS304", supplier_id="SUP-SS", qty=50))
    bus.handle(c.StartOperation(operation_id="WO-1~SA-KBODY/010", equipment_id="PR-01"))
    bus.handle(c.ConsumeMaterial(operation_id="WO-1~SA-KBODY/010", lot_id="ST-1", qty=2.4))
    bus.handle(
        c.PublishDispatchLists(
            schedule_version="S1",
            entries=[
                c.DispatchEntry(
                    operation_id="WO-1/010", work_center_id="L2-ASSY", position=0, equipment_id="AS-21"
                )
            ],
        )
    )
    assert [i.operation_id for i in q.dispatch_list("L2-ASSY")] == ["WO-1/010"]
    assert q.dispatch_list("L2-ASSY")[0].equipment_id == "AS-21"
    assert [link.produced_lot_id for link in q.genealogy("ST-1", "forward")] == ["LOT-WO-1~SA-KBODY"]
    assert q.lot("ST-1").qty == pytest.approx(47.6)  # type: ignore[union-attr]
    assert q.lot("LOT-WO-1~SA-KBODY").status is LotStatus.IN_PROCESS  # type: ignore[union-attr]
    assert q.work_order_counts() == {"released": 1, "in_progress": 1}
    assert [e.state.value for e in q.equipment_states(["PR-01", "PR-02"])] == ["execute", "idle"]
    types = [r.envelope.type for r in q.events(type="MaterialConsumed")]
    assert types == ["MaterialConsumed"]
    assert q.last_events(1)[0].envelope.type == "DispatchListPublished"


def test_a_batch_is_written_in_one_transaction_on_the_real_database(make_container: Make) -> None:
    mes = make_container()
    with mes.bus.batch(max_commands=3):
        for i in range(4):
            _order(mes, f"WO-{i}")
    assert _count(mes, orm.work_orders) == 8
    assert _count(mes, orm.outbox) == mes.outbox_reader.last_seq()
    fresh = make_container()
    assert fresh.queries.work_order_counts() == {"released": 8}


def test_the_relay_delivers_in_order_exactly_once_across_a_crash(make_container: Make) -> None:
    mes = make_container()
    for i in range(3):
        _order(mes, f"WO-{i}")
    assert mes.engine is not None
    total = mes.outbox_reader.last_seq()

    class CrashOnce(SqlCheckpointStore):
        crashed = False

        def save(self, subscriber: str, seq: int) -> None:
            if not CrashOnce.crashed:
                CrashOnce.crashed = True
                raise SystemExit("killed after delivery, before the checkpoint")
            super().save(subscriber, seq)

    sub = RecordingSubscriber("warehouse")
    with pytest.raises(SystemExit):
        OutboxRelay(mes.outbox_reader, CrashOnce(mes.engine), [sub], batch_size=5).drain()
    assert SqlCheckpointStore(mes.engine).get("warehouse") == 0
    restarted = make_container()  # a new process: new reader, same database
    OutboxRelay(restarted.outbox_reader, SqlCheckpointStore(restarted.engine), [sub], batch_size=5).drain()  # type: ignore[arg-type]
    assert sub.duplicates == 5
    assert sub.seqs == list(range(1, total + 1))
    assert SqlCheckpointStore(mes.engine).get("warehouse") == total


def test_event_ids_are_unique_in_the_outbox_table(make_container: Make) -> None:
    mes = make_container(FakeClock())
    _order(mes)
    assert mes.engine is not None
    with mes.engine.connect() as conn:
        ids = conn.execute(sa.select(orm.outbox.c.id)).scalars().all()
    assert len(ids) == len(set(ids)) > 0
