"""The SQLAlchemy adapter of the store port: one connection and transaction per unit of work; reads
with SQLAlchemy Core, writes through :mod:`plantloop.mes.sql_writer` (DBAPI executemany)."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from plantloop.mes import orm, sql_writer
from plantloop.mes.domain.errors import ConcurrentModification
from plantloop.mes.mapping import Mapper, Row
from plantloop.mes.repository import AggregateChange, Filter, Loaded


def _condition(c: sa.ColumnElement[Any], op: str, name: str) -> Any:
    if op == "in":
        return c.in_(sa.bindparam(name, expanding=True))
    param: sa.BindParameter[Any] = sa.bindparam(name)
    if op == "=":
        return c == param
    if op == ">":
        return c > param
    if op == ">=":
        return c >= param
    if op == "<":
        return c < param
    if op == "<=":
        return c <= param
    raise ValueError(f"unknown filter operator {op!r}")


@cache
def _select(
    table: sa.Table,
    where: tuple[tuple[str, str], ...],
    order_by: tuple[str, ...],
    limit: int | None,
    offset: int,
) -> sa.Select[Any]:
    """Statements are built once per shape (SQLAlchemy then reuses its compiled form)."""
    stmt = sa.select(table)
    for i, (col, op) in enumerate(where):
        stmt = stmt.where(_condition(table.c[col], op, f"p{i}"))
    stmt = stmt.order_by(*(table.c[c[1:]].desc() if c.startswith("-") else table.c[c] for c in order_by))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


@cache
def _select_in(table: sa.Table, column: str) -> sa.Select[Any]:
    return sa.select(table).where(table.c[column].in_(sa.bindparam("values", expanding=True)))


class SqlAlchemyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(self) -> SqlAlchemyTransaction:
        return SqlAlchemyTransaction(self.engine.connect())


class SqlAlchemyTransaction:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.conn.begin()

    def load(self, mapper: Mapper[Any], ids: list[str]) -> list[Loaded]:
        root_t = mapper.root
        rows = [dict(r._mapping) for r in self.conn.execute(_select_in(root_t, "id"), {"values": ids})]
        if not rows:
            return []
        found = [r["id"] for r in rows]
        children: dict[str, dict[str, list[Row]]] = {r["id"]: {} for r in rows}
        for child in mapper.children:
            t = child.table
            for cr in self.conn.execute(_select_in(t, child.fk), {"values": found}):
                m = dict(cr._mapping)
                children[m[child.fk]].setdefault(t.name, []).append(m)
        out: list[Loaded] = []
        for r in rows:
            version = int(r.pop("version"))
            out.append((r, children[r["id"]], version))
        return out

    def find_ids(self, table: sa.Table, column: str, value: Any) -> list[str]:
        stmt = sa.select(table.c.id).where(table.c[column] == value).order_by(table.c.id)
        return [str(v) for v in self.conn.execute(stmt).scalars()]

    def apply(self, changes: list[AggregateChange], outbox_rows: list[Row]) -> None:
        dialect = self.conn.dialect.name
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            self._apply(cursor, dialect, changes, outbox_rows)
        except self.conn.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
            first = changes[0] if changes else None
            raise ConcurrentModification(
                first.mapper.root.name if first else "outbox", first.id if first else "?"
            ) from exc
        finally:
            cursor.close()

    @staticmethod
    def _apply(cursor: Any, dialect: str, changes: list[AggregateChange], outbox_rows: list[Row]) -> None:
        new_roots: dict[str, list[Row]] = {}
        root_updates: dict[str, list[Row]] = {}
        for ch in changes:
            name = ch.mapper.root.name
            if ch.old_version is None:
                new_roots.setdefault(name, []).append({**ch.root_row, "version": 1})
            else:
                root_updates.setdefault(name, []).append(
                    {**ch.root_row, "version": ch.old_version + 1, "b_id": ch.id, "b_version": ch.old_version}
                )
        for name, rows in root_updates.items():
            table = orm.metadata.tables[name]
            cols = tuple(c for c in rows[0] if not c.startswith("b_"))
            # the driver reports the total row count: every row matched, or someone else wrote first
            if sql_writer.execute(
                cursor, sql_writer.update(table, dialect, cols, ("id", "version")), rows
            ) != len(rows):
                raise ConcurrentModification(name, ", ".join(r["b_id"] for r in rows))
        for name, rows in new_roots.items():
            table = orm.metadata.tables[name]
            sql_writer.execute(cursor, sql_writer.insert(table, dialect, tuple(rows[0])), rows)
        for ch in changes:
            for child in ch.mapper.children:
                t, name = child.table, child.table.name
                if name in ch.deletes:
                    keys = [
                        {f"b_{c}": v for c, v in zip(child.pk, pk, strict=True)} for pk in ch.deletes[name]
                    ]
                    sql_writer.execute(cursor, sql_writer.delete(t, dialect, child.pk), keys)
                if name in ch.updates:
                    rows = [{**r, **{f"b_{c}": r[c] for c in child.pk}} for r in ch.updates[name]]
                    cols = tuple(c for c in ch.updates[name][0] if c not in child.pk)
                    sql_writer.execute(cursor, sql_writer.update(t, dialect, cols, child.pk), rows)
                if name in ch.inserts:
                    sql_writer.execute(
                        cursor, sql_writer.insert(t, dialect, tuple(ch.inserts[name][0])), ch.inserts[name]
                    )
        if outbox_rows:
            sql_writer.execute(
                cursor, sql_writer.insert(orm.outbox, dialect, tuple(outbox_rows[0])), outbox_rows
            )

    def select(
        self,
        table: sa.Table,
        where: list[Filter],
        order_by: list[str],
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Row]:
        shape = tuple((col, op) for col, op, _ in where)
        stmt = _select(table, shape, tuple(order_by), limit, offset)
        params = {f"p{i}": val for i, (_, _, val) in enumerate(where)}
        return [dict(r._mapping) for r in self.conn.execute(stmt, params)]

    def count_by(self, table: sa.Table, column: str) -> dict[Any, int]:
        c = table.c[column]
        return {k: int(n) for k, n in self.conn.execute(sa.select(c, sa.func.count()).group_by(c))}

    def commit(self) -> None:
        try:
            self.conn.commit()
        finally:
            self.conn.close()

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        finally:
            self.conn.close()
