"""The layered warehouse (ODS → DIM + DWD → DWS → ADS) as SQL models managed by SQLMesh on DuckDB, with
the same models runnable on Spark (:mod:`spark_engine`)."""

from plantloop.dataplatform.warehouse.layers import Layer, bare_name, layer_of, may_read, violations
from plantloop.dataplatform.warehouse.warehouse import BuildReport, Warehouse, WarehouseBuildFailed

__all__ = [
    "BuildReport",
    "Layer",
    "Warehouse",
    "WarehouseBuildFailed",
    "bare_name",
    "layer_of",
    "may_read",
    "violations",
]
