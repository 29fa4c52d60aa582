"""The catalog: every ODS and warehouse table with its columns, description, owner, layer, freshness,
DQ status (from governance's ``dq_result`` when present) and lineage; searchable.

Model metadata comes from the SQLMesh models themselves (header ``description``/``owner``/``grain``,
column comments), so the catalog cannot drift from the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plantloop.dataplatform.catalog.lineage import LineageGraph
from plantloop.dataplatform.ingest.schema import ODS_COLUMNS
from plantloop.dataplatform.metrics.query_log import record_queries
from plantloop.dataplatform.warehouse.layers import Layer, bare_name, layer_of
from plantloop.dataplatform.warehouse.project import ODS_SOURCES
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import NotFound

_ODS_COLUMN_TEXT = {
    "event_id": "Deterministic event id (primary key)",
    "type": "Event type, past tense (OperationCompleted, ...)",
    "occurred_at": "When it happened on the shop floor (UTC)",
    "recorded_at": "When the source recorded it (UTC)",
    "payload": "Event body as JSON; fields per event type",
    "ingested_at": "When the ODS landed it (UTC)",
    "source": "Source system id",
    "batch_id": "Landing batch",
}


@dataclass
class ColumnEntry:
    name: str
    type: str
    description: str = ""


@dataclass
class TableEntry:
    name: str
    layer: Layer
    description: str
    owner: str
    kind: str
    grain: list[str]
    cron: str | None
    columns: list[ColumnEntry] = field(default_factory=list)
    freshness: str | None = None
    dq_status: str = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "layer": self.layer.value,
            "description": self.description,
            "owner": self.owner,
            "kind": self.kind,
            "grain": self.grain,
            "cron": self.cron,
            "freshness": self.freshness,
            "dq_status": self.dq_status,
            "columns": [c.__dict__ for c in self.columns],
        }

    def matches(self, q: str) -> bool:
        q = q.lower()
        hay = [self.name, self.description, self.owner, self.layer.value]
        hay += [c.name for c in self.columns] + [c.description for c in self.columns]
        return any(q in h.lower() for h in hay if h)


class Catalog:
    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self._lineage: LineageGraph | None = None

    def _table_names(self) -> set[str]:
        rows = self.wh.query("SELECT table_name FROM information_schema.tables")
        return {r[0] for r in rows}

    def _dq_status(self, present: set[str]) -> dict[str, str]:
        if "dq_result" not in present:
            return {}
        rows = self.wh.query(
            "SELECT table_name, bool_and(passed) FROM ("
            " SELECT table_name, check_name, partition_key, passed, row_number() OVER ("
            "  PARTITION BY table_name, check_name, partition_key ORDER BY evaluated_at DESC) AS rn"
            " FROM dq_result) WHERE rn = 1 GROUP BY table_name"
        )
        return {bare_name(t): ("pass" if ok else "fail") for t, ok in rows}

    def _freshness(self, name: str, time_column: str | None) -> str | None:
        if time_column is None:
            built = self.wh._state().get("built_at")
            return str(built) if built else None
        row = self.wh.query(f"SELECT max({time_column}) FROM dw.{name}")
        return row[0][0].isoformat() if row and row[0][0] is not None else None

    def entries(self) -> list[TableEntry]:
        ctx = self.wh.context()
        present = self._table_names()
        dq = self._dq_status(present)
        out: list[TableEntry] = []
        for table in ODS_SOURCES:
            row = self.wh.query(f"SELECT max(ingested_at) FROM main.{table}") if table in present else []
            fresh = row[0][0].isoformat() if row and row[0][0] is not None else None
            out.append(
                TableEntry(
                    table,
                    Layer.ODS,
                    f"ODS landing table {table}: envelope + lineage columns.",
                    "data-platform",
                    "ods",
                    ["event_id"],
                    None,
                    [ColumnEntry(c, "", _ODS_COLUMN_TEXT.get(c, "")) for c in ODS_COLUMNS],
                    fresh,
                    dq.get(table, "unknown"),
                )
            )
        for fqn in sorted(ctx.models):
            model = ctx.models[fqn]
            if model.kind.is_external:
                continue
            name = bare_name(fqn)
            time_col = model.time_column.column.name if model.time_column is not None else None
            descriptions = model.column_descriptions or {}
            out.append(
                TableEntry(
                    name=name,
                    layer=layer_of(name),
                    description=model.description or "",
                    owner=model.owner or "",
                    kind=model.kind.name.value if hasattr(model.kind.name, "value") else str(model.kind.name),
                    grain=[g.sql() for g in model.grains],
                    cron=str(model.cron),
                    columns=[
                        ColumnEntry(
                            c, t.sql(dialect="duckdb") if t is not None else "", descriptions.get(c, "")
                        )
                        for c, t in (model.columns_to_types or {}).items()
                    ],
                    freshness=self._freshness(name, time_col),
                    dq_status=dq.get(name, "unknown"),
                )
            )
        return out

    def search(self, q: str | None = None, *, consumer: str = "catalog") -> list[TableEntry]:
        found = [e for e in self.entries() if not q or e.matches(q)]
        return found

    def table(self, name: str, *, consumer: str = "catalog") -> TableEntry:
        for entry in self.entries():
            if entry.name == bare_name(name):
                with self.wh.connect() as con:
                    record_queries(con, [entry.name], consumer)
                return entry
        raise NotFound(f"no table {name!r} in the catalog", table=name)

    def lineage(self, name: str) -> dict[str, Any]:
        entry_names = {e.name for e in self.entries()}
        if bare_name(name) not in entry_names:
            raise NotFound(f"no table {name!r} in the catalog", table=name)
        if bare_name(name).startswith("ods_"):
            return {"table": bare_name(name), "layer": "ods", "upstream": {}, "columns": {}}
        if self._lineage is None:
            self._lineage = LineageGraph(self.wh)
        return self._lineage.table_lineage(name)
