"""The unit of work: one transaction around one command. It hands out repositories, collects the events
the touched aggregates recorded, and on commit writes the changed rows *and* the outbox rows in the same
transaction. Leaving the ``with`` block without committing rolls back and evicts what was touched.

``UnitOfWorkFactory`` holds the store and the identity map shared by successive units of work; build it
with :func:`sqlalchemy_uow_factory` (real) or :func:`in_memory_uow_factory` (the twin).
"""

from __future__ import annotations

import itertools
from types import TracebackType

from sqlalchemy.engine import Engine

from plantloop.mes import mapping, orm
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.dispatch import DispatchBoard, ScheduleVersion
from plantloop.mes.domain.equipment import Equipment
from plantloop.mes.domain.events import Event
from plantloop.mes.domain.inspection import Inspection
from plantloop.mes.domain.lot import Lot
from plantloop.mes.domain.maintenance import MaintenanceOrder
from plantloop.mes.domain.work_order import WorkOrder
from plantloop.mes.mapping import Row
from plantloop.mes.repository import (
    AggregateChange,
    Entry,
    IdentityMap,
    InMemoryStore,
    Repository,
    Store,
    StoreTransaction,
    diff,
    restore,
)


class UnitOfWorkFactory:
    """Shared state of successive units of work: the store, the identity map and — in *deferred* (group
    commit) mode — the changes and outbox rows of commands that succeeded but are not yet written.

    Deferred mode keeps each command atomic (a failing command is undone in memory, from the rows staged
    by the previous command) and writes many commands in one transaction at :meth:`flush`. State and
    events are still written together; what a crash loses is the unflushed tail, whole.
    """

    def __init__(self, store: Store, *, cache_capacity: int = 50_000) -> None:
        self.store = store
        self.identity_map = IdentityMap(cache_capacity)
        self.deferred = False
        self.pending: dict[tuple[str, str], Entry] = {}
        self.pending_outbox: list[Row] = []
        self.pending_commands = 0

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.store, self.identity_map, self)

    def flush(self) -> int:
        """Write every staged change and outbox row in one transaction; returns the events written."""
        if not self.pending and not self.pending_outbox:
            return 0
        entries, outbox_rows = self.pending, self.pending_outbox
        self.pending, self.pending_outbox, self.pending_commands = {}, [], 0
        changes = [c for c in (diff(e) for e in entries.values()) if c is not None]
        txn = self.store.begin()
        try:
            txn.apply(changes, outbox_rows)
            txn.commit()
        except BaseException:
            self.identity_map.evict(entries)
            txn.rollback()
            raise
        _written(self.identity_map, entries, changes)
        return len(outbox_rows)


def _written(
    identity_map: IdentityMap, entries: dict[tuple[str, str], Entry], changes: list[AggregateChange]
) -> None:
    """After a successful write: the written rows become the snapshot, versions move on."""
    by_id = {(c.mapper.root.name, c.id): c for c in changes}
    for key, entry in entries.items():
        change = by_id.get((entry.mapper.root.name, entry.aggregate.id))
        if change is not None:
            entry.snapshot = entry.staged or entry.mapper.to_rows(entry.aggregate)
            entry.version = 1 if change.old_version is None else change.old_version + 1
        entry.staged = None
        if entry.snapshot is not None:
            identity_map.put(key, entry)


class UnitOfWork:
    def __init__(self, store: Store, identity_map: IdentityMap, factory: UnitOfWorkFactory) -> None:
        self._store = store
        self._map = identity_map
        self._factory = factory
        self._txn: StoreTransaction | None = None
        self._touched: dict[tuple[str, str], Entry] = {}
        self.work_orders = Repository[WorkOrder](self, mapping.WORK_ORDERS, WorkOrder.kind)
        self.lots = Repository[Lot](self, mapping.LOTS, Lot.kind)
        self.equipment = Repository[Equipment](self, mapping.EQUIPMENT, Equipment.kind)
        self.maintenance_orders = Repository[MaintenanceOrder](
            self, mapping.MAINTENANCE_ORDERS, MaintenanceOrder.kind
        )
        self.inspections = Repository[Inspection](self, mapping.INSPECTIONS, Inspection.kind)
        self.schedule_versions = Repository[ScheduleVersion](
            self, mapping.SCHEDULE_VERSIONS, ScheduleVersion.kind
        )
        self.dispatch_boards = Repository[DispatchBoard](self, mapping.DISPATCH_BOARDS, DispatchBoard.kind)

    # ---- context -------------------------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._txn is not None or self._touched:
            self.rollback()

    @property
    def transaction(self) -> StoreTransaction:
        if self._txn is None:
            self._txn = self._store.begin()
        return self._txn

    # ---- identity map --------------------------------------------------------------------------
    def lookup(self, key: tuple[str, str]) -> Entry | None:
        entry = self._touched.get(key)
        if entry is None:
            entry = self._factory.pending.get(key) or self._map.get(key)
            if entry is not None:
                self._touched[key] = entry
        return entry

    def register(self, key: tuple[str, str], entry: Entry) -> None:
        self._touched[key] = entry

    # ---- queries inside the transaction ----------------------------------------------------------
    def child_work_order_ids(self, work_order_id: str) -> list[str]:
        """Children written to the store, plus those created in this unit of work or an unflushed batch."""
        ids = set(self.transaction.find_ids(orm.work_orders, "parent_work_order_id", work_order_id))
        for (_, id), entry in itertools.chain(self._factory.pending.items(), self._touched.items()):
            agg = entry.aggregate
            if isinstance(agg, WorkOrder) and agg.parent_work_order_id == work_order_id:
                ids.add(id)
        return sorted(ids)

    # ---- events and commit ---------------------------------------------------------------------
    def collect_new_events(self) -> list[tuple[Aggregate, int, Event]]:
        out: list[tuple[Aggregate, int, Event]] = []
        for entry in self._touched.values():
            agg = entry.aggregate
            if agg.events:
                out.extend((agg, seq, event) for seq, event in agg.events)
                agg.events = []
        return out

    def commit(self, outbox_rows: list[Row] | None = None) -> None:
        if self._factory.deferred:
            self._stage(outbox_rows or [])
            return
        txn = self.transaction
        changes = [c for c in (diff(e) for e in self._touched.values()) if c is not None]
        try:
            if changes or outbox_rows:
                txn.apply(changes, outbox_rows or [])
            txn.commit()
        except BaseException:
            self._txn = None
            self._map.evict(self._touched)
            self._touched = {}
            txn.rollback()
            raise
        self._txn = None
        _written(self._map, self._touched, changes)
        self._touched = {}

    def _stage(self, outbox_rows: list[Row]) -> None:
        factory = self._factory
        for key, entry in self._touched.items():
            rows = entry.mapper.to_rows(entry.aggregate)
            if rows != (entry.staged or entry.snapshot):
                entry.staged = rows
                factory.pending[key] = entry
        factory.pending_outbox.extend(outbox_rows)
        factory.pending_commands += 1
        self._touched = {}
        txn, self._txn = self._txn, None
        if txn is not None:
            txn.rollback()

    def rollback(self) -> None:
        txn, self._txn = self._txn, None
        pending = self._factory.pending
        for key, entry in self._touched.items():
            entry.aggregate.events = []
            if key in pending and entry.staged is not None:  # undo in memory, back to the staged state
                entry.aggregate = restore(entry.mapper, entry.staged, entry.aggregate.id)
            else:
                self._map.evict([key])
        self._touched = {}
        if txn is not None:
            txn.rollback()


def sqlalchemy_uow_factory(engine: Engine, *, cache_capacity: int = 50_000) -> UnitOfWorkFactory:
    from plantloop.mes.sql_store import SqlAlchemyStore

    return UnitOfWorkFactory(SqlAlchemyStore(engine), cache_capacity=cache_capacity)


def in_memory_uow_factory() -> UnitOfWorkFactory:
    return UnitOfWorkFactory(InMemoryStore())
