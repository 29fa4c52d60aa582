"""The message bus: ``MessageBus.handle(command)`` runs the command's handler inside one unit of work and
writes the events it raised to the outbox in the same transaction, as kernel envelopes with deterministic
ids (source ``"mes"``, key = aggregate kind, aggregate id, per-aggregate event sequence).

Commands are handled one at a time (a lock), so the simulator, the API and ``loop/`` can share one bus
from several threads. A command that loses an optimistic-concurrency race is retried once.

Group commit: inside ``with bus.batch():`` each command is still atomic (a failing one changes nothing),
but successful commands are written together — every ``max_commands`` commands, whenever the read side
asks (:meth:`flush` is the read barrier of :class:`~plantloop.mes.queries.MesQueries`), and on exit.
High-rate in-process drivers (the simulator) use it; state and events always travel together.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from plantloop.kernel.clock import Clock, SystemClock, ensure_utc
from plantloop.kernel.envelope import EventEnvelope
from plantloop.kernel.errors import InvalidInput
from plantloop.kernel.ids import deterministic_id
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.commands import Command
from plantloop.mes.domain.errors import ConcurrentModification
from plantloop.mes.domain.events import Event
from plantloop.mes.handlers import HANDLERS, Context, Handler
from plantloop.mes.mapping import Row
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.unit_of_work import UnitOfWorkFactory

SOURCE = "mes"


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        plant: PlantDefinition,
        clock: Clock | None = None,
        *,
        handlers: dict[type[Command], Handler] | None = None,
        retries: int = 1,
    ) -> None:
        self.uow_factory = uow_factory
        self.plant = plant
        self.clock = clock or SystemClock()
        self.handlers = handlers or HANDLERS
        self.retries = retries
        self._paths = plant.equipment_paths
        self._lock = threading.RLock()
        #: Called after each commit that wrote events, with the number written (e.g. to wake the relay).
        self.after_commit: list[Callable[[int], None]] = []
        self.commands_handled = 0
        self.events_written = 0
        self._batch_size = 500

    def handle(self, command: Command) -> Any:
        """Handle one command in its own transaction; returns the handler's result (ids)."""
        handler = self.handlers.get(type(command))
        if handler is None:
            raise InvalidInput(f"no handler for {type(command).__name__}", command=type(command).__name__)
        at = ensure_utc(command.at) if command.at is not None else self.clock.now()
        factory = self.uow_factory
        with self._lock:
            if not factory.deferred and factory.pending_outbox:
                self.flush()
            attempt = 0
            while True:
                try:
                    result, written = self._run(handler, command, at)
                    break
                except ConcurrentModification:
                    attempt += 1
                    if attempt > self.retries:
                        raise
            self.commands_handled += 1
            if factory.deferred:
                if factory.pending_commands >= self._batch_size:
                    self.flush()
                return result
            self.events_written += written
        if written:
            for callback in self.after_commit:
                callback(written)
        return result

    def flush(self) -> int:
        """Write what a batch has staged (no-op outside a batch). Returns the events written."""
        with self._lock:
            written = self.uow_factory.flush()
            self.events_written += written
        if written:
            for callback in self.after_commit:
                callback(written)
        return written

    @contextlib.contextmanager
    def batch(self, max_commands: int = 500) -> Iterator[MessageBus]:
        """Group commit for the commands handled inside the block (see the module docstring)."""
        with self._lock:
            outer = self.uow_factory.deferred
            self.uow_factory.deferred = True
            previous, self._batch_size = self._batch_size, max_commands
        try:
            yield self
        finally:
            with self._lock:
                self.uow_factory.deferred = outer
                self._batch_size = previous
                if not outer:
                    self.flush()

    def _run(self, handler: Handler, command: Command, at: Any) -> tuple[Any, int]:
        with self.uow_factory() as uow:
            result = handler(command, Context(uow=uow, plant=self.plant, at=at, issued_by=command.issued_by))
            recorded_at = self.clock.now()
            rows = [
                self._outbox_row(agg, seq, event, recorded_at) for agg, seq, event in uow.collect_new_events()
            ]
            uow.commit(rows)
        return result, len(rows)

    def envelope(self, agg: Aggregate, seq: int, event: Event, recorded_at: Any = None) -> EventEnvelope:
        location = event.location
        return EventEnvelope.create(
            type=type(event).__name__,
            source=SOURCE,
            key=(agg.kind, agg.id, seq),
            occurred_at=event.at,
            recorded_at=recorded_at or event.at,
            payload=event.payload(),
            equipment_path=self._paths.get(location) if location else None,
            subject=event.subject,
        )

    def _outbox_row(self, agg: Aggregate, seq: int, event: Event, recorded_at: datetime) -> Row:
        """The outbox row of :meth:`envelope` — same id, fields and payload text — built without the
        model's validation (this is the hot path; the reader validates what it reads back)."""
        type_ = type(event).__name__
        location = event.location
        return {
            "id": deterministic_id(SOURCE, type_, agg.kind, agg.id, seq),
            "type": type_,
            "schema_version": 1,
            "occurred_at": event.at,
            "recorded_at": recorded_at,
            "source": SOURCE,
            "equipment_path": self._paths.get(location) if location else None,
            "subject": event.subject,
            "payload": json.dumps(event.payload(), sort_keys=True, separators=(",", ":"), default=str),
        }
