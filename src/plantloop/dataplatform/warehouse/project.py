"""The SQLMesh project of one warehouse: model SQL shipped with plantloop, DIM seeds from the plant, and
the ODS tables declared as external models; plus the programmatic SQLMesh ``Config`` (DuckDB gateway).

The project directory is generated (``<warehouse dir>/sqlmesh``) so that the seeds follow the plant the
warehouse serves; the model files are copied verbatim from :data:`MODELS_DIR`.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from plantloop.dataplatform.ingest.schema import ODS_COLUMNS
from plantloop.dataplatform.warehouse.seeds import write_seeds
from plantloop.mes.masterdata.schema import PlantDefinition

MODELS_DIR = Path(__file__).resolve().parent / "models"
SCHEMA = "dw"

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


def model_files() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.sql"))


def write_project(project_dir: Path, plant: PlantDefinition) -> None:
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
    (project_dir / "external_models.yaml").write_text(yaml.safe_dump(external, sort_keys=False))


def sqlmesh_config(database: Path, start: date) -> Any:
    """A SQLMesh ``Config`` for one DuckDB file; ``start`` is the first day incremental models cover."""
    from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

    return Config(
        gateways={"local": GatewayConfig(connection=DuckDBConnectionConfig(database=str(database)))},
        default_gateway="local",
        model_defaults=ModelDefaultsConfig(dialect="duckdb", start=start.isoformat()),
    )
