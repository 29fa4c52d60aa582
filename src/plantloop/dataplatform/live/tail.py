"""OdsTail: follows an ODS table by DuckDB ``rowid`` and folds each new slice into :class:`LiveMetrics`.

The tail reads through the caller's query function — best a cursor of its own on the shared DuckDB
instance, so that it never waits for the landing's Python lock — and sees a batch as soon as its
transaction commits. The payload fields the fold needs are extracted by DuckDB (vectorized JSON), not
parsed row by row in Python.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from plantloop.dataplatform.live.metrics import FIELDS, LiveMetrics

QueryArrow = Callable[[str, Sequence[Any] | None], pa.Table]

#: The payload fields the fold reads, extracted in SQL (typed; NULL where an event has no such field).
FIELD_SQL = ", ".join(
    f"TRY_CAST(payload->>'{name}' AS {kind}) AS {name}"
    if kind != "VARCHAR"
    else f"payload->>'{name}' AS {name}"
    for name, kind in FIELDS.items()
)


class RowidCursor:
    """Reads the rows of one ODS table landed since the previous read, in landing order (DuckDB ``rowid``);
    what it has read is kept in memory. Each result carries ``_rowid``; None when nothing is new or the table
    does not exist yet (it is created with the first landed batch)."""

    def __init__(self, query_arrow: QueryArrow, table: str) -> None:
        if not table.startswith("ods_") or not table.replace("_", "").isalnum():
            raise ValueError(f"not an ODS table name: {table!r}")
        self.query_arrow = query_arrow
        self.table = table
        self.position = -1

    def read(self, columns: str, where: str = "", limit: int | None = None) -> pa.Table | None:
        sql = f"SELECT rowid AS _rowid, {columns} FROM {self.table} WHERE rowid > ? {where} ORDER BY rowid"
        try:
            data = self.query_arrow(sql + (f" LIMIT {int(limit)}" if limit else ""), [self.position])
        except Exception as exc:
            if "does not exist" in str(exc):
                return None
            raise
        if data.num_rows == 0:
            return None
        self.position = int(data.column("_rowid")[-1].as_py())
        return data


class OdsTail:
    def __init__(
        self,
        query_arrow: QueryArrow,
        live: LiveMetrics,
        *,
        table: str = "ods_mes__events",
        on_fold: Callable[[pa.Table, float], None] | None = None,
    ) -> None:
        self.rows = RowidCursor(query_arrow, table)
        self.live = live
        self.table = table
        self.on_fold = on_fold

    def poll(self) -> int:
        """Fold every row landed since the last poll; returns how many."""
        data = self.rows.read(f"type, occurred_at, ingested_at, {FIELD_SQL}")
        if data is None:
            return 0
        n = self.live.fold_arrow(data.drop_columns(["_rowid"]))
        if self.on_fold is not None:
            self.on_fold(data, time.time())
        return n

    def run(self, stop: threading.Event, *, interval_s: float = 0.05) -> None:
        while not stop.is_set():
            if self.poll() == 0:
                stop.wait(interval_s)
