"""The outbox relay: delivery in order, checkpoint after delivery, redelivery after a crash, dedupe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantloop.bootstrap import Container
from plantloop.kernel.clock import FakeClock
from plantloop.mes.domain import commands as c
from plantloop.mes.outbox import InMemoryCheckpointStore, OutboxRelay, RecordingSubscriber
from tests.unit.mes.conftest import KETTLE


class CrashingCheckpoints(InMemoryCheckpointStore):
    """Dies once between delivery and checkpoint — the worst moment."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_next = True

    def save(self, subscriber: str, seq: int) -> None:
        if self.crash_next:
            self.crash_next = False
            raise SystemExit("power cut")
        super().save(subscriber, seq)


def _make_events(mes: Container, clock: FakeClock, n: int) -> None:
    for i in range(n):
        mes.bus.handle(
            c.CreateWorkOrder(
                work_order_id=f"WO-{i}", material_id=KETTLE, qty=1, due_at=clock.now() + timedelta(days=1)
            )
        )


def test_the_relay_delivers_everything_in_order_in_batches(mes: Container, clock: FakeClock) -> None:
    _make_events(mes, clock, 5)
    sub = RecordingSubscriber()
    relay = OutboxRelay(mes.outbox_reader, InMemoryCheckpointStore(), [sub], batch_size=3)
    assert relay.drain() == mes.outbox_reader.last_seq()
    assert sub.seqs == list(range(1, mes.outbox_reader.last_seq() + 1))
    assert relay.drain() == 0


def test_a_crash_after_delivery_redelivers_and_dedupe_makes_it_exactly_once(
    mes: Container, clock: FakeClock
) -> None:
    _make_events(mes, clock, 3)
    sub = RecordingSubscriber()
    checkpoints = CrashingCheckpoints()
    with pytest.raises(SystemExit):
        OutboxRelay(mes.outbox_reader, checkpoints, [sub], batch_size=4).drain()
    assert len(sub.received) == 4 and checkpoints.get(sub.name) == 0
    OutboxRelay(mes.outbox_reader, checkpoints, [sub], batch_size=4).drain()  # the restarted process
    assert sub.duplicates == 4
    assert sub.seqs == list(range(1, mes.outbox_reader.last_seq() + 1))


def test_each_subscriber_keeps_its_own_checkpoint(mes: Container, clock: FakeClock) -> None:
    _make_events(mes, clock, 1)
    fast, late = RecordingSubscriber("fast"), RecordingSubscriber("late")
    checkpoints = InMemoryCheckpointStore()
    OutboxRelay(mes.outbox_reader, checkpoints, [fast]).drain()
    _make_events(mes, clock, 0)
    OutboxRelay(mes.outbox_reader, checkpoints, [fast, late]).drain()
    assert fast.duplicates == 0 and len(fast.received) == len(late.received) == mes.outbox_reader.last_seq()


def test_the_background_relay_wakes_on_commit(mes: Container, clock: FakeClock) -> None:
    sub = RecordingSubscriber()
    mes.relay.subscribe(sub)
    mes.relay.start(interval_s=30)
    try:
        _make_events(mes, clock, 2)
        for _ in range(200):
            if len(sub.received) == mes.outbox_reader.last_seq():
                break
            import time

            time.sleep(0.01)
    finally:
        mes.relay.stop()
    assert len(sub.received) == mes.outbox_reader.last_seq() > 0
