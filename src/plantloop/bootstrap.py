"""The one composition root: builds the engine, unit-of-work factory, message bus, read side, outbox
reader and relay for a plant — nothing is created at import time.

``build_container(settings)`` is the real thing (SQLite or PostgreSQL, migrated to head);
``build_in_memory_container()`` plugs in the in-memory twins for tests and quick experiments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.ports import OutboxReader
from plantloop.kernel.settings import Settings
from plantloop.loop import (
    AuditLog,
    DecisionService,
    InMemoryAuditLog,
    InMemoryDecisionStore,
    SqlAuditLog,
    SqlDecisionStore,
)
from plantloop.mes.database import create_engine, upgrade_database
from plantloop.mes.masterdata import PlantDefinition, load_plant
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.outbox import (
    CheckpointStore,
    InMemoryCheckpointStore,
    InMemoryOutboxReader,
    OutboxRelay,
    SqlCheckpointStore,
    SqlOutboxReader,
)
from plantloop.mes.queries import MesQueries
from plantloop.mes.repository import InMemoryStore
from plantloop.mes.sql_store import SqlAlchemyStore
from plantloop.mes.unit_of_work import UnitOfWorkFactory

if TYPE_CHECKING:
    from plantloop.runtime.platform import DataPlatformRuntime


@dataclass
class Container:
    settings: Settings
    plant: PlantDefinition
    #: The process's "now" (for the demo: accelerated plant time). Everything that stamps or filters by
    #: the current time — the bus, live metrics, the status page, the UI — asks this clock.
    clock: Clock
    uow_factory: UnitOfWorkFactory
    bus: MessageBus
    queries: MesQueries
    outbox_reader: OutboxReader
    checkpoints: CheckpointStore
    relay: OutboxRelay
    #: The decision layer (optimizers propose; people approve; the MES is told) and the audit log.
    decisions: DecisionService
    audit: AuditLog
    engine: Engine | None = None
    #: The in-process data platform (ODS store, warehouse, live metrics) when a long-running process
    #: (``plantloop demo``) runs one; ``None`` for the bare API. Its clock is :attr:`clock`.
    platform: DataPlatformRuntime | None = None
    #: What the long-running process is doing (plant time, simulator, landing, builds), if one runs.
    runtime_status: Callable[[], dict[str, Any]] | None = None
    #: Things to stop on shutdown (background threads: relay, simulator …), called in reverse order.
    closers: list[object] = field(default_factory=list)

    def close(self) -> None:
        self.relay.stop()
        for closer in reversed(self.closers):
            stop = getattr(closer, "stop", None) or getattr(closer, "close", None)
            if callable(stop):
                stop()
        if self.engine is not None:
            self.engine.dispose()


def build_container(
    settings: Settings | None = None,
    *,
    plant: PlantDefinition | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
) -> Container:
    settings = settings or Settings()
    plant = plant or load_plant(settings.plant_file)
    clock = clock or SystemClock()
    engine = create_engine(settings.resolved_database_url())
    if migrate:
        upgrade_database(engine)
    store = SqlAlchemyStore(engine)
    uow_factory = UnitOfWorkFactory(store)
    bus = MessageBus(uow_factory, plant, clock)
    reader = SqlOutboxReader(engine)
    checkpoints = SqlCheckpointStore(engine)
    relay = OutboxRelay(reader, checkpoints)
    bus.after_commit.append(relay.wake)
    audit = SqlAuditLog(engine, clock)
    return Container(
        settings=settings,
        plant=plant,
        clock=clock,
        uow_factory=uow_factory,
        bus=bus,
        queries=MesQueries(store, plant, before_read=bus.flush),
        outbox_reader=reader,
        checkpoints=checkpoints,
        relay=relay,
        decisions=DecisionService(bus, SqlDecisionStore(engine), audit=audit, clock=clock),
        audit=audit,
        engine=engine,
    )


def build_in_memory_container(
    settings: Settings | None = None, *, plant: PlantDefinition | None = None, clock: Clock | None = None
) -> Container:
    settings = settings or Settings()
    plant = plant or load_plant(settings.plant_file)
    clock = clock or SystemClock()
    store = InMemoryStore()
    uow_factory = UnitOfWorkFactory(store)
    bus = MessageBus(uow_factory, plant, clock)
    reader = InMemoryOutboxReader(store)
    checkpoints = InMemoryCheckpointStore()
    relay = OutboxRelay(reader, checkpoints)
    bus.after_commit.append(relay.wake)
    audit = InMemoryAuditLog(clock)
    return Container(
        settings=settings,
        plant=plant,
        clock=clock,
        uow_factory=uow_factory,
        bus=bus,
        queries=MesQueries(store, plant, before_read=bus.flush),
        outbox_reader=reader,
        checkpoints=checkpoints,
        relay=relay,
        decisions=DecisionService(bus, InMemoryDecisionStore(), audit=audit, clock=clock),
        audit=audit,
    )
