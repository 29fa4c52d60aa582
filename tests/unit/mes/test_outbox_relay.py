"""The outbox relay: delivery in order, checkpoint after delivery, redelivery after a crash, dedupe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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


class Poisoned(RecordingSubscriber):
    """Fails on every batch that holds the event ``bad_seq`` (its own bug, or an event it cannot read)."""

    def __init__(self, bad_seq: int) -> None:
        super().__init__("poisoned")
        self.bad_seq = bad_seq

    def handle(self, records: list[Any]) -> None:
        if any(r.seq == self.bad_seq for r in records):
            raise ValueError("date value out of range")
        super().handle(records)


def test_a_failing_subscriber_holds_back_only_itself(mes: Container, clock: FakeClock) -> None:
    """Once the live view failed on one event, and the subscribers after it in the list got nothing more."""
    _make_events(mes, clock, 6)
    poisoned, healthy = Poisoned(bad_seq=5), RecordingSubscriber("healthy")
    checkpoints = InMemoryCheckpointStore()
    relay = OutboxRelay(mes.outbox_reader, checkpoints, [poisoned, healthy], batch_size=3)
    with pytest.raises(ValueError, match="out of range"):
        relay.drain()
    assert healthy.seqs == list(range(1, mes.outbox_reader.last_seq() + 1))  # all of it, past the poison
    assert poisoned.seqs == [1, 2, 3] and checkpoints.get("poisoned") == 3  # stops before its bad batch
    tries = relay.failures["poisoned"]  # once per round the healthy one advanced, and the last
    assert list(relay.failures) == ["poisoned"] and tries >= 1
    with pytest.raises(ValueError):
        relay.deliver_once()  # retried, not skipped: nothing is lost for it either
    assert relay.failures["poisoned"] == tries + 1 and checkpoints.get("poisoned") == 3


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
