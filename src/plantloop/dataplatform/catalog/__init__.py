"""The data catalog: tables, columns, owners, freshness, DQ status, column lineage and decision lineage."""

from plantloop.dataplatform.catalog.catalog import Catalog, ColumnEntry, TableEntry
from plantloop.dataplatform.catalog.decisions import decision_inputs, record_decision_inputs
from plantloop.dataplatform.catalog.lineage import ColumnLineage, ColumnRef, LineageGraph

__all__ = [
    "Catalog",
    "ColumnEntry",
    "ColumnLineage",
    "ColumnRef",
    "LineageGraph",
    "TableEntry",
    "decision_inputs",
    "record_decision_inputs",
]
