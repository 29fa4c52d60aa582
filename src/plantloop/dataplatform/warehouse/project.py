"""The SQLMesh project of one warehouse: model SQL shipped with plantloop, DIM seeds from the plant, and
the tables SQLMesh does not build declared as external models — the ODS landing tables, the governed
staging tables (``stg_*``, written by governance from the field dictionary) and the master-data crosswalk;
plus the programmatic SQLMesh ``Config`` (DuckDB gateway).

The project directory is generated (``<warehouse dir>/sqlmesh``) so that the seeds follow the plant the
warehouse serves; the model files are copied verbatim from :data:`MODELS_DIR`.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from plantloop.dataplatform.governance.dictionary_sql import DUCKDB
from plantloop.dataplatform.governance.pipeline import Governance
from plantloop.dataplatform.ingest.schema import ODS_COLUMNS
from plantloop.dataplatform.warehouse.seeds import write_seeds
from plantloop.mes.masterdata.schema import PlantDefinition

MODELS_DIR = Path(__file__).resolve().parent / "models"
SCHEMA = "dw"
#: Where a bare table name is looked up: ODS, STG and bookkeeping in ``main``, then the models' views.
SEARCH_SCHEMAS = ("main", SCHEMA)

#: ODS tables the models read; created empty before a build when no source has landed there yet.
ODS_SOURCES = ("ods_mes__events", "ods_mqtt__telemetry", "ods_opcua__telemetry")

_ODS_TYPES = {
    "event_id": "UUID",
    "type": "TEXT",
    "schema_version": "INT",
    "occurred_at": "TIMESTAMPTZ",
    "recorded_at": "TIMESTAMPTZ",
    "equipment_path": "TEXT",
    "subject": "TEXT",
    "payload": "JSON",
    "source": "TEXT",
    "source_key": "TEXT",
    "ingested_at": "TIMESTAMPTZ",
    "batch_id": "TEXT",
}


#: The crosswalk tables models join (``crosswalk_store.create_crosswalk_tables`` is their DDL).
CROSSWALK_COLUMNS = {
    "system": "TEXT",
    "source_code": "TEXT",
    "normalized_code": "TEXT",
    "canonical_id": "TEXT",
    "match_rule": "TEXT",
    "match_score": "DOUBLE",
    "version": "INT",
    "valid_from": "TIMESTAMPTZ",
    "valid_to": "TIMESTAMPTZ",
    "is_current": "BOOLEAN",
    "changed_by": "TEXT",
    "change_reason": "TEXT",
}
CROSSWALK_TABLES = ("dim_crosswalk_equipment",)


def governed_columns(governance: Governance) -> dict[str, dict[str, str]]:
    """``{governed table: {column: type}}`` as governance writes them (dictionary targets, passthrough,
    cleaning flags)."""
    out: dict[str, dict[str, str]] = {}
    for spec in governance.tables:
        columns = {f.target or f.source: DUCKDB.sql_type(f.type) for f in spec.table.fields}
        columns |= {c: _ODS_TYPES.get(c, "TEXT") for c in spec.table.passthrough}
        columns["cleaning_flags"] = "TEXT[]"
        out[spec.governed_table] = columns
    return out


def model_files() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.sql"))


def write_project(project_dir: Path, plant: PlantDefinition, governance: Governance) -> None:
    """(Re)write the project: models (only when changed), seeds, external models."""
    models = project_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    shipped = {p.name for p in model_files()}
    for old in models.glob("*.sql"):
        if old.name not in shipped:
            old.unlink()
    for src in model_files():
        dst = models / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    write_seeds(plant, project_dir / "seeds")
    external = [
        {
            "name": f"main.{table}",
            "description": f"ODS landing table {table}: envelope + lineage columns, payload as JSON.",
            "columns": {c: _ODS_TYPES[c] for c in ODS_COLUMNS},
        }
        for table in ODS_SOURCES
    ]
    external += [
        {
            "name": f"main.{table}",
            "description": f"Governed staging table {table}: the source's rows in canonical names, types and "
            "UTC (field dictionary), cleaned (flags in cleaning_flags).",
            "columns": columns,
        }
        for table, columns in governed_columns(governance).items()
    ]
    external += [
        {
            "name": f"main.{table}",
            "description": "Master-data crosswalk (SCD 2): (system, source code) -> canonical id.",
            "columns": CROSSWALK_COLUMNS,
        }
        for table in CROSSWALK_TABLES
    ]
    text = yaml.safe_dump(external, sort_keys=False, allow_unicode=True)
    target = project_dir / "external_models.yaml"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def sqlmesh_config(database: Path, start: date) -> Any:
    """A SQLMesh ``Config`` for one DuckDB file; ``start`` is the first day incremental models cover."""
    from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

    return Config(
        gateways={"local": GatewayConfig(connection=DuckDBConnectionConfig(database=str(database)))},
        default_gateway="local",
        model_defaults=ModelDefaultsConfig(dialect="duckdb", start=start.isoformat()),
    )
