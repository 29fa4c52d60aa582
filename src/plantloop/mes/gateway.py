"""The simulator's port onto the real MES (``plantloop.sim.gateway.MesGateway``): commands go through
the message bus, dispatch lists come from the read side. In-process, no network.

For speed, run the simulation inside ``with gateway.group_commit():`` — every command stays atomic, but
successful ones are written together (each dispatch-list read is a flush barrier, so reads are never
stale)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from plantloop.mes.domain.commands import Command
from plantloop.mes.domain.dispatch import DispatchItem
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries


class BusGateway:
    def __init__(self, bus: MessageBus, queries: MesQueries) -> None:
        self.bus = bus
        self.queries = queries

    def handle(self, command: Command) -> Any:
        """Handle one command; MES errors (kernel NotFound / InvalidInput / Conflict) propagate."""
        return self.bus.handle(command)

    def dispatch_list(self, work_center_id: str) -> list[DispatchItem]:
        """The current ordered list (operation_id, work_center_id, equipment_id, position, status …)."""
        return self.queries.dispatch_list(work_center_id)

    @contextmanager
    def group_commit(self, max_commands: int = 500) -> Iterator[BusGateway]:
        """Group commit for everything sent inside the block (see :meth:`MessageBus.batch`)."""
        with self.bus.batch(max_commands=max_commands):
            yield self
