"""The catalog: every governed table — ODS landing, governed staging (STG), master-data crosswalk, and the
warehouse models (DIM / DWD / DWS / ADS) — with its columns, description, owner, layer, freshness, DQ status
and lineage; searchable by any of those words.

Metadata comes from where the tables are defined, so it cannot drift: SQLMesh model headers and column
comments for models, the field dictionary and the glossary for STG columns, the landing schema for ODS.
DQ status: ``fail`` (a blocking check fails on one of its partitions), ``upstream_fail`` (a partition is
built on a failed one upstream), ``pass`` (checked, nothing fails), ``unknown`` (never checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from plantloop.dataplatform.catalog.lineage import LineageGraph
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity, crosswalk_table
from plantloop.dataplatform.governance.glossary import load_glossary
from plantloop.dataplatform.governance.partitions import load_partition_config
from plantloop.dataplatform.governance.table_state import table_columns, table_exists
from plantloop.dataplatform.metrics.query_log import record_queries
from plantloop.dataplatform.warehouse.layers import Layer, bare_name, layer_of
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import NotFound

ODS_COLUMN_TEXT = {
    "event_id": "Deterministic event id (primary key)",
    "type": "Event type, past tense (OperationCompleted, ...)",
    "schema_version": "Version of the event's payload schema",
    "occurred_at": "When it happened on the shop floor (UTC)",
    "recorded_at": "When the source recorded it (UTC)",
    "equipment_path": "ISA-95 path of the equipment it happened on",
    "subject": "What it is about (work order, lot, equipment id ...)",
    "payload": "Event body as JSON; fields per event type (legacy sources: the source row, original names)",
    "source": "Source system id",
    "source_key": "The source's own key (outbox sequence, legacy record id ...)",
    "ingested_at": "When the ODS landed it (UTC)",
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
    partitions: list[list[str]] = field(default_factory=list)

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
            "partitions": self.partitions,
            "columns": [c.__dict__ for c in self.columns],
        }

    def matches(self, q: str) -> bool:
        words = q.lower().split()
        hay = " ".join(
            [self.name, self.description, self.owner, self.layer.value]
            + [c.name for c in self.columns]
            + [c.description for c in self.columns]
        ).lower()
        return all(w in hay for w in words)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class Catalog:
    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self._lineage: LineageGraph | None = None
        self._partitions = load_partition_config()

    def _dq_status(self, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        status: dict[str, str] = {}
        if table_exists(con, "dq_downstream_mark"):
            for (table,) in con.execute("SELECT DISTINCT table_name FROM dq_downstream_mark").fetchall():
                status[str(table)] = "upstream_fail"
        if table_exists(con, "dq_result"):
            rows = con.execute(
                "SELECT table_name, bool_and(passed OR severity = 'warn') FROM (SELECT * FROM dq_result "
                "QUALIFY row_number() OVER (PARTITION BY table_name, check_name, partition_key "
                "ORDER BY evaluated_at DESC, run_id DESC) = 1) GROUP BY table_name"
            ).fetchall()
            for table, ok in rows:
                name = bare_name(str(table))
                status[name] = "fail" if not ok else status.get(name, "pass")
        return status

    @staticmethod
    def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
        return list(table_columns(con, table).items())

    def _physical(self, con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name LIKE ? ESCAPE '\\' ORDER BY 1",
            [prefix.replace("_", "\\_") + "%"],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def _ods_entries(self, con: duckdb.DuckDBPyConnection, dq: dict[str, str]) -> list[TableEntry]:
        out = []
        for table in self._physical(con, "ods_"):
            row = con.execute(f"SELECT max(ingested_at) FROM main.{table}").fetchone()
            out.append(
                TableEntry(
                    table, Layer.ODS, f"ODS landing table {table}: the source's records as landed, with "
                    "envelope and lineage columns.", "data-platform", "ods", ["event_id"], None,
                    [ColumnEntry(c, t, ODS_COLUMN_TEXT.get(c, "")) for c, t in self._columns(con, table)],
                    _iso(row[0] if row else None), dq.get(table, "unknown"),
                    [list(s) for s in self._partitions.schemes(table)],
                )
            )  # fmt: skip
        return out

    def _stg_entries(self, con: duckdb.DuckDBPyConnection, dq: dict[str, str]) -> list[TableEntry]:
        glossary = load_glossary()
        out = []
        for spec in self.wh.governance.tables:
            table = spec.governed_table
            if not table_exists(con, table):
                continue
            texts = {f.target or f.source: f.description for f in spec.table.fields}
            for name in texts:
                term = glossary.terms.get(name)
                if term is not None and not texts[name]:
                    texts[name] = term.description
            texts |= {c: ODS_COLUMN_TEXT.get(c, "") for c in spec.table.passthrough}
            texts["cleaning_flags"] = "Cleaning rules that flagged the row (flagged rows are not aggregated)"
            row = con.execute(f"SELECT max(ingested_at) FROM main.{table}").fetchone()
            out.append(
                TableEntry(
                    table, Layer.STG, f"{spec.dictionary.description or spec.dictionary.source}: "
                    f"{spec.table.entity} in canonical names, types and UTC (field dictionary "
                    f"{spec.dictionary.source} v{spec.dictionary.version}), cleaned.", "data-platform",
                    "governed", ["source", "source_record_id"], None,
                    [ColumnEntry(c, t, texts.get(c, "")) for c, t in self._columns(con, table)],
                    _iso(row[0] if row else None), dq.get(table, "unknown"),
                    [list(s) for s in self._partitions.schemes(table)],
                )
            )  # fmt: skip
        return out

    def _crosswalk_entries(self, con: duckdb.DuckDBPyConnection) -> list[TableEntry]:
        out = []
        for entity in MasterEntity:
            table = crosswalk_table(entity)
            if not table_exists(con, table):
                continue
            row = con.execute(f"SELECT max(valid_from) FROM main.{table}").fetchone()
            out.append(
                TableEntry(
                    table, Layer.DIM, f"Master-data crosswalk of {entity.value}: (system, source code) → "
                    "canonical id, every change a new version (SCD 2).", "data-platform", "crosswalk",
                    ["system", "source_code", "version"], None,
                    [ColumnEntry(c, t) for c, t in self._columns(con, table)],
                    _iso(row[0] if row else None),
                )
            )  # fmt: skip
        return out

    def _model_entries(self, con: duckdb.DuckDBPyConnection, dq: dict[str, str]) -> list[TableEntry]:
        ctx = self.wh.context()
        out = []
        for fqn in sorted(ctx.models):
            model = ctx.models[fqn]
            if model.kind.is_external:
                continue
            name = bare_name(fqn)
            time_col = model.time_column.column.name if model.time_column is not None else None
            fresh = None
            if time_col is not None and table_exists(con, f"dw.{name}"):
                row = con.execute(f"SELECT max({time_col}) FROM dw.{name}").fetchone()
                fresh = _iso(row[0] if row else None)
            elif (built := self.wh.last_built_at()) is not None:
                fresh = built.isoformat()
            descriptions = model.column_descriptions or {}
            out.append(
                TableEntry(
                    name=name,
                    layer=layer_of(name),
                    description=model.description or "",
                    owner=model.owner or "",
                    kind=str(getattr(model.kind.name, "value", model.kind.name)),
                    grain=[g.sql() for g in model.grains],
                    cron=str(model.cron),
                    columns=[
                        ColumnEntry(
                            c, t.sql(dialect="duckdb") if t is not None else "", descriptions.get(c, "")
                        )
                        for c, t in (model.columns_to_types or {}).items()
                    ],
                    freshness=fresh,
                    dq_status=dq.get(name, "unknown"),
                    partitions=[list(s) for s in self._partitions.schemes(name)],
                )
            )
        return out

    def entries(self) -> list[TableEntry]:
        with self.wh.connect() as con:
            dq = self._dq_status(con)
            return (
                self._ods_entries(con, dq)
                + self._stg_entries(con, dq)
                + self._crosswalk_entries(con)
                + self._model_entries(con, dq)
            )

    def search(self, q: str | None = None) -> list[TableEntry]:
        return [e for e in self.entries() if not q or e.matches(q)]

    def table(self, name: str, *, consumer: str = "catalog") -> TableEntry:
        for entry in self.entries():
            if entry.name == bare_name(name):
                with self.wh.connect() as con:
                    record_queries(con, [entry.name], consumer)
                return entry
        raise NotFound(f"no table {name!r} in the catalog", table=name)

    def lineage(self, name: str) -> dict[str, Any]:
        """Upstream tables and, per column, its parents and source fields (ODS payload fields included)."""
        table = bare_name(name)
        entry = next((e for e in self.entries() if e.name == table), None)
        if entry is None:
            raise NotFound(f"no table {name!r} in the catalog", table=name)
        if self._lineage is None:
            self._lineage = LineageGraph(self.wh)
        if entry.layer is Layer.ODS or entry.kind == "crosswalk":
            return {"table": table, "layer": entry.layer.value, "upstream": {}, "columns": {}}
        if entry.layer is Layer.STG:
            return self._lineage.governed_lineage(table)
        return self._lineage.table_lineage(table)
