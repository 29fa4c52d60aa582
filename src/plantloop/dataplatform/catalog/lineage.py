"""Lineage from source fields to ADS, parsed from the models' SQL by SQLMesh / sqlglot, joined with the
lineage governance records when it applies the field dictionary.

Table lineage is SQLMesh's DAG, plus governance's ODS → STG steps. Column lineage walks sqlglot's lineage
tree of each column: leaves are upstream (table, column) pairs. Where a leaf is the ODS ``payload`` JSON,
the JSON paths extracted on the way (``json_extract_string(payload, '$.qty_good')``) name the source
*field*, and the event types the model filters on (``type = 'OperationCompleted'``) say which events carry
it. Where a leaf is a governed STG column, ``field_lineage`` names the source field and every step the
dictionary applied (``ods_legacy__t_prod_report.payload.WorkNo (rename WorkNo -> order_id; …)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.dataplatform.warehouse.layers import Layer, bare_name, layer_of
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import NotFound


@dataclass(frozen=True, order=True)
class ColumnRef:
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class ColumnLineage:
    column: str
    parents: set[ColumnRef] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)  # ods_mes__events.payload.$.qty_good[OperationCompleted]


class LineageGraph:
    """Memoised lineage over one warehouse's SQLMesh context."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self.ctx = wh.context()
        self._memo: dict[tuple[str, str], ColumnLineage] = {}
        self._types: dict[str, list[str]] = {}
        self._fields: dict[tuple[str, str], list[tuple[str, str, str]]] | None = None

    def field_lineage(self) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
        """(governed table, column) → [(source table, source field, transformation)] from governance."""
        if self._fields is None:
            self._fields = {}
            with self.wh.connect() as con:
                if table_exists(con, "field_lineage"):
                    for tt, tc, st, sf, how in con.execute(
                        "SELECT target_table, target_column, source_table, source_field, transformation "
                        "FROM field_lineage ORDER BY 1, 2, 3, 4"
                    ).fetchall():
                        self._fields.setdefault((str(tt), str(tc)), []).append((str(st), str(sf), str(how)))
        return self._fields

    def _governed_sources(self, table: str, column: str) -> set[str]:
        return {f"{st}.{sf} ({how})" for st, sf, how in self.field_lineage().get((table, column), [])}

    def governed_lineage(self, table: str) -> dict[str, Any]:
        """A governed STG table: each column's source field and the dictionary's transformation."""
        columns = {}
        sources = set()
        for (tt, tc), found in sorted(self.field_lineage().items()):
            if tt != table:
                continue
            columns[tc] = {
                "parents": sorted(f"{st}.{sf}" for st, sf, _ in found),
                "sources": sorted(self._governed_sources(tt, tc)),
            }
            sources |= {st for st, _, _ in found}
        return {
            "table": table,
            "layer": Layer.STG.value,
            "upstream": {t: {"layer": layer_of(t).value, "parents": []} for t in sorted(sources)},
            "columns": columns,
        }

    def model(self, table: str) -> Any:
        model = self.ctx.get_model(f"dw.{bare_name(table)}")
        if model is None:
            raise NotFound(f"no warehouse table {table!r}", table=table)
        return model

    def upstream_tables(self, table: str) -> dict[str, list[str]]:
        """Every table upstream of ``table`` → its direct parents (bare names)."""
        out: dict[str, list[str]] = {}
        todo = [bare_name(table)]
        while todo:
            name = todo.pop()
            if name in out:
                continue
            model = self.ctx.get_model(f"dw.{name}") if layer_of(name) not in (Layer.ODS, Layer.STG) else None
            parents = sorted(bare_name(p) for p in model.depends_on) if model is not None else []
            if layer_of(name) is Layer.STG:
                parents = sorted(
                    {st for (tt, _), f in self.field_lineage().items() if tt == name for st, _, _ in f}
                )
            out[name] = parents
            todo.extend(parents)
        return out

    def _event_types(self, model: Any) -> list[str]:
        key = model.name
        if key not in self._types:
            query = model.query
            found: set[str] = set()
            for cond in query.find_all(exp.EQ, exp.In):
                col = cond.this if isinstance(cond, exp.In) else cond.left
                if isinstance(col, exp.Column) and col.name == "type":
                    values = cond.expressions if isinstance(cond, exp.In) else [cond.right]
                    found |= {v.name for v in values if isinstance(v, exp.Literal)}
            self._types[key] = sorted(found)
        return self._types[key]

    def column(self, table: str, column: str) -> ColumnLineage:
        key = (bare_name(table), column)
        if key in self._memo:
            return self._memo[key]
        from sqlmesh.core.lineage import lineage

        model = self.model(table)
        result = ColumnLineage(column)
        self._memo[key] = result  # guards against cycles
        try:
            root = lineage(column, model, trim_selects=False)
        except Exception:  # a column sqlglot cannot trace (e.g. a literal); no parents
            return result
        paths: set[str] = set()
        for node in root.walk():
            for extract in node.expression.find_all(exp.JSONExtractScalar, exp.JSONExtract):
                path = extract.expression
                text = path.name if isinstance(path, exp.Literal) else path.sql()
                paths.add(text.strip("'").removeprefix("$."))
            if node.downstream:
                continue
            tbl = (
                node.expression.find(exp.Table)
                if isinstance(node.expression, exp.Table | exp.Expression)
                else None
            )
            if tbl is None:
                continue
            parent = ColumnRef(bare_name(tbl.name), exp.to_column(node.name).name)
            result.parents.add(parent)
        types = ",".join(self._event_types(model))
        for parent in result.parents:
            if layer_of(parent.table) is Layer.STG:
                result.sources |= self._governed_sources(parent.table, parent.column) or {str(parent)}
            elif parent.table.startswith("dim_crosswalk_"):
                result.sources.add(f"crosswalk:{parent.table}.{parent.column}")
            elif parent.table.startswith("ods_"):
                if parent.column == "payload" and paths:
                    result.sources |= {f"{parent.table}.payload.{p}[{types}]" for p in sorted(paths)}
                else:
                    result.sources.add(f"{parent.table}.{parent.column}")
            elif (
                self.ctx.get_model(f"dw.{parent.table}") is not None and self.model(parent.table).kind.is_seed
            ):
                result.sources.add(f"plant:{parent.table}.{parent.column}")
            else:
                result.sources |= self.column(parent.table, parent.column).sources
        return result

    def table_lineage(self, table: str) -> dict[str, Any]:
        model = self.model(table)
        name = bare_name(table)
        columns = {}
        for col in model.columns_to_types or {}:
            lin = self.column(name, col)
            columns[col] = {
                "parents": sorted(str(p) for p in lin.parents),
                "sources": sorted(lin.sources),
            }
        upstream = self.upstream_tables(name)
        return {
            "table": name,
            "layer": layer_of(name).value,
            "upstream": {
                t: {"layer": layer_of(t).value, "parents": ps} for t, ps in sorted(upstream.items())
            },
            "columns": columns,
        }
