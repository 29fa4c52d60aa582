"""Repositories over a write-through identity map, and the store port they persist through.

Aggregates stay in memory between transactions (the identity map, bounded LRU), so a command usually
costs no read at all: the unit of work diffs each touched aggregate's rows against the snapshot taken when
it was last written and sends only the changed rows. Every root write checks and bumps ``version``, so a
stale cached aggregate (another process wrote the row) fails with :class:`ConcurrentModification`
instead of overwriting; a rolled-back transaction evicts what it touched.

The store port (:class:`Store` / :class:`StoreTransaction`) has two adapters: :mod:`plantloop.mes.sql_store`
(SQLAlchemy, SQLite or PostgreSQL) and :class:`InMemoryStore` here (the twin used by unit tests).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import sqlalchemy as sa

from plantloop.mes import orm
from plantloop.mes.domain.aggregate import Aggregate
from plantloop.mes.domain.errors import ConcurrentModification
from plantloop.mes.mapping import Mapper, Row, Rows

if TYPE_CHECKING:
    from plantloop.mes.unit_of_work import UnitOfWork

A = TypeVar("A", bound=Aggregate)
Loaded = tuple[Row, dict[str, list[Row]], int]  # root row, child rows by table name, version
#: A read-side filter: (column, operator, value) with operator one of = in > >= < <=.
Filter = tuple[str, str, Any]

_OPS: dict[str, Any] = {
    "=": lambda a, b: a == b,
    "in": lambda a, b: a in b,
    ">": lambda a, b: a is not None and a > b,
    ">=": lambda a, b: a is not None and a >= b,
    "<": lambda a, b: a is not None and a < b,
    "<=": lambda a, b: a is not None and a <= b,
}


@dataclass
class AggregateChange:
    """The rows one aggregate needs written: root row (``old_version`` None = insert) and child diffs."""

    mapper: Mapper[Any]
    id: str
    old_version: int | None
    root_row: Row
    inserts: dict[str, list[Row]] = field(default_factory=dict)
    updates: dict[str, list[Row]] = field(default_factory=dict)
    deletes: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


class StoreTransaction(Protocol):
    def load(self, mapper: Mapper[Any], ids: list[str]) -> list[Loaded]: ...

    def find_ids(self, table: sa.Table, column: str, value: Any) -> list[str]: ...

    def apply(self, changes: list[AggregateChange], outbox_rows: list[Row]) -> None: ...

    def select(
        self,
        table: sa.Table,
        where: list[Filter],
        order_by: list[str],
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Row]:
        """Rows of ``table`` matching all filters, ordered (``"-col"``: descending), paged."""
        ...

    def count_by(self, table: sa.Table, column: str) -> dict[Any, int]: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Store(Protocol):
    def begin(self) -> StoreTransaction: ...


# ---- identity map ----------------------------------------------------------------------------------
@dataclass
class Entry:
    aggregate: Aggregate
    mapper: Mapper[Any]
    snapshot: Rows | None  # None: new, not yet written
    version: int
    #: Rows after the last successful command that are not yet written (deferred mode only).
    staged: Rows | None = None


def restore(mapper: Mapper[Any], rows: Rows, id: str) -> Aggregate:
    """Rebuild an aggregate from its rows (to undo a failed command in memory)."""
    root = rows[mapper.root.name][(id,)]
    children = {c.table.name: [dict(r) for r in rows.get(c.table.name, {}).values()] for c in mapper.children}
    agg: Aggregate = mapper.from_rows(dict(root), children)
    return agg


class IdentityMap:
    """Aggregates kept between transactions, least recently used evicted beyond ``capacity``."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, str], entry: Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def evict(self, keys: Iterable[tuple[str, str]]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def diff(entry: Entry) -> AggregateChange | None:
    """What must be written for ``entry`` (None if nothing changed)."""
    mapper = entry.mapper
    agg = entry.aggregate
    new = mapper.to_rows(agg)
    root_name = mapper.root.name
    root_row = new[root_name][(agg.id,)]
    old = entry.snapshot
    if old is None:
        change = AggregateChange(mapper, agg.id, None, root_row)
        for child in mapper.children:
            rows = list(new.get(child.table.name, {}).values())
            if rows:
                change.inserts[child.table.name] = rows
        return change
    change = AggregateChange(mapper, agg.id, entry.version, root_row)
    dirty = old[root_name][(agg.id,)] != root_row
    for child in mapper.children:
        name = child.table.name
        before, after = old.get(name, {}), new.get(name, {})
        ins = [row for pk, row in after.items() if pk not in before]
        upd = [row for pk, row in after.items() if pk in before and before[pk] != row]
        dele = [pk for pk in before if pk not in after]
        if ins:
            change.inserts[name] = ins
        if upd:
            change.updates[name] = upd
        if dele:
            change.deletes[name] = dele
        dirty = dirty or bool(ins or upd or dele)
    return change if dirty else None


# ---- repositories ----------------------------------------------------------------------------------
class Repository(Generic[A]):
    """Get and add aggregates of one kind inside a unit of work."""

    def __init__(self, uow: UnitOfWork, mapper: Mapper[A], kind: str) -> None:
        self._uow = uow
        self._mapper = mapper
        self._kind = kind

    def get(self, id: str) -> A | None:
        return self.get_many([id]).get(id)

    def get_many(self, ids: Iterable[str]) -> dict[str, A]:
        found: dict[str, A] = {}
        missing: list[str] = []
        for id in dict.fromkeys(ids):
            entry = self._uow.lookup((self._kind, id))
            if entry is None:
                missing.append(id)
            else:
                found[id] = entry.aggregate  # type: ignore[assignment]
        if missing:
            for root, children, version in self._uow.transaction.load(self._mapper, missing):
                agg = self._mapper.from_rows(root, children)
                self._uow.register(
                    (self._kind, agg.id), Entry(agg, self._mapper, self._mapper.to_rows(agg), version)
                )
                found[agg.id] = agg
        return found

    def add(self, agg: A) -> None:
        self._uow.register((self._kind, agg.id), Entry(agg, self._mapper, None, 0))


# ---- the in-memory store ---------------------------------------------------------------------------
class InMemoryStore:
    """Tables as dicts of rows; the twin of the SQL store, with the same version checks and outbox."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple[Any, ...], Row]] = {t.name: {} for t in orm.metadata.sorted_tables}
        self.by_parent: dict[str, dict[Any, dict[tuple[Any, ...], Row]]] = {}
        self.outbox: list[Row] = []
        self.checkpoints: dict[str, int] = {}
        self._seq = itertools.count(1)
        self.lock = threading.RLock()

    def begin(self) -> _InMemoryTransaction:
        return _InMemoryTransaction(self)


class _InMemoryTransaction:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def load(self, mapper: Mapper[Any], ids: list[str]) -> list[Loaded]:
        out: list[Loaded] = []
        with self.store.lock:
            roots = self.store.tables[mapper.root.name]
            for id in ids:
                row = roots.get((id,))
                if row is None:
                    continue
                children = {
                    c.table.name: [
                        dict(r) for r in self.store.by_parent.get(c.table.name, {}).get(id, {}).values()
                    ]
                    for c in mapper.children
                }
                root = {k: v for k, v in row.items() if k != "version"}
                out.append((root, children, row["version"]))
        return out

    def find_ids(self, table: sa.Table, column: str, value: Any) -> list[str]:
        with self.store.lock:
            return sorted(r["id"] for r in self.store.tables[table.name].values() if r.get(column) == value)

    def apply(self, changes: list[AggregateChange], outbox_rows: list[Row]) -> None:
        store = self.store
        with store.lock:
            for ch in changes:  # check everything before writing anything
                current = store.tables[ch.mapper.root.name].get((ch.id,))
                if (ch.old_version is None) != (current is None) or (
                    current is not None and current["version"] != ch.old_version
                ):
                    raise ConcurrentModification(ch.mapper.root.name, ch.id)
            for ch in changes:
                version = 1 if ch.old_version is None else ch.old_version + 1
                store.tables[ch.mapper.root.name][(ch.id,)] = {**ch.root_row, "version": version}
                for child in ch.mapper.children:
                    name = child.table.name
                    table = store.tables[name]
                    parent = store.by_parent.setdefault(name, {}).setdefault(ch.id, {})
                    for pk in ch.deletes.get(name, []):
                        table.pop(pk, None)
                        parent.pop(pk, None)
                    for row in ch.inserts.get(name, []) + ch.updates.get(name, []):
                        pk = tuple(row[c] for c in child.pk)
                        table[pk] = dict(row)
                        parent[pk] = table[pk]
            for row in outbox_rows:
                store.outbox.append({**row, "seq": next(store._seq)})

    def select(
        self,
        table: sa.Table,
        where: list[Filter],
        order_by: list[str],
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Row]:
        with self.store.lock:
            source = (
                self.store.outbox if table.name == "outbox" else list(self.store.tables[table.name].values())
            )
            rows = [dict(r) for r in source if all(_OPS[op](r.get(col), val) for col, op, val in where)]
        for col in reversed(order_by):  # stable sorts, last key first; "-col" sorts descending
            name = col.lstrip("-")
            rows.sort(key=lambda r: (r.get(name) is not None, r.get(name)), reverse=col.startswith("-"))
        return rows[offset : None if limit is None else offset + limit]

    def count_by(self, table: sa.Table, column: str) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        with self.store.lock:
            for r in self.store.tables[table.name].values():
                counts[r[column]] = counts.get(r[column], 0) + 1
        return counts

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None
