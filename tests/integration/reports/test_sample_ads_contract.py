"""The sample reporting tables (unit tests, export benchmark, fallback) have exactly the columns the
warehouse's ADS models declare — so reports tested on them run on the real warehouse too."""

from __future__ import annotations

from pathlib import Path

import duckdb

from plantloop.dataplatform.warehouse import Warehouse
from plantloop.mes.masterdata import PlantDefinition
from plantloop.reports.definitions import load_catalog
from plantloop.reports.sample_ads import DDL, SCHEMA, create_ads_tables


def test_sample_ads_columns_are_the_warehouse_models_columns(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    wh = Warehouse(tmp_path / "warehouse.duckdb", reference_plant)
    try:
        context = wh.context()
        declared = {name: list(context.get_model(f"dw.{name}").columns_to_types or {}) for name in DDL}
    finally:
        wh.close()
    con = duckdb.connect()
    create_ads_tables(con)
    for name in DDL:
        sample = [r[0] for r in con.execute(f"DESCRIBE {SCHEMA}.{name}").fetchall()]
        assert sample == declared[name], name
    assert {t.split(".", 1)[1] for t in load_catalog().tables.values()} <= set(DDL)
