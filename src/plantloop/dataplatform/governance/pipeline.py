"""The governance run: what happens to each configured source table before the warehouse builds on it.

Per table of ``config/governance.yaml``, in one pass over DuckDB::

    ods_<source>__<table>  ──field dictionary──▶  <governed>__mapped   (canonical names, types, UTC)
                           ──cleaning──────────▶  <governed>          (+ <governed>__rejected, cleaning_log)
                           ──crosswalk─────────▶  codes resolved; unmatched ones in the steward queue
                           ──data quality──────▶  dq_result per partition (with history)

The governed table is rebuilt from the whole ODS table each run (vectorized SQL; the ODS keeps every row
ever landed, so a correction or a new mapping rule applies to history too). Field lineage is stored
against the governed table, so the catalog can follow a DWD column back to the source field. A source
whose ODS table has not received a row yet still gets its (empty) governed table, so that the warehouse
models reading it can build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from plantloop.dataplatform.governance.cleaning import (
    CleaningConfig,
    CleaningReport,
    apply_cleaning,
    load_cleaning_config,
)
from plantloop.dataplatform.governance.config_files import CONFIG_DIR, load_config
from plantloop.dataplatform.governance.crosswalk import Crosswalk, ResolutionStatus
from plantloop.dataplatform.governance.crosswalk_config import CrosswalkConfig, load_crosswalk_config
from plantloop.dataplatform.governance.crosswalk_seed import seed_from_plant
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity, crosswalk_table
from plantloop.dataplatform.governance.dictionary import SourceDictionary, TableDictionary, load_dictionary
from plantloop.dataplatform.governance.dictionary_apply import (
    ApplyReport,
    apply_dictionary,
    store_field_lineage,
)
from plantloop.dataplatform.governance.dictionary_sql import FieldLineage
from plantloop.dataplatform.governance.partitions import PartitionConfig, PlantDay, plant_day
from plantloop.dataplatform.governance.quality import QualityReport, evaluate_quality
from plantloop.dataplatform.governance.quality_config import QualityConfig, load_quality_config
from plantloop.dataplatform.governance.sql_text import ident, qualified
from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.dataplatform.ingest.schema import create_ods_table
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.mes.masterdata.schema import PlantDefinition


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResolveSpec(_Model):
    """Codes of ``column`` are ``system``'s codes for ``entity``: resolve them through the crosswalk."""

    column: str
    entity: MasterEntity
    system: str


class TableGovernance(_Model):
    dictionary: str = Field(description="Dictionary file, relative to the governance file.")
    table: str = Field(description="The dictionary's table (source name or entity).")
    governed_table: str = Field(pattern=r"^stg_[a-z0-9_]+$")
    cleaning: str | None = None
    resolve: list[ResolveSpec] = []
    quality: str | None = None


class GovernanceConfig(_Model):
    crosswalk: str | None = None
    tables: list[TableGovernance] = []
    warehouse_quality: list[str] = Field(default=[], description="DQ files of warehouse tables.")


@dataclass(frozen=True)
class GovernedTable:
    """One configured table with its configs loaded."""

    dictionary: SourceDictionary
    table: TableDictionary
    governed_table: str
    cleaning: CleaningConfig | None
    resolve: tuple[ResolveSpec, ...]
    quality: QualityConfig | None

    @property
    def source_table(self) -> str:
        return self.dictionary.source_table_of(self.table)

    @property
    def mapped_table(self) -> str:
        return f"{self.governed_table}__mapped"


@dataclass(frozen=True)
class Governance:
    """The loaded governance configuration."""

    tables: tuple[GovernedTable, ...]
    crosswalk: CrosswalkConfig
    warehouse_quality: tuple[QualityConfig, ...] = ()


def load_governance(path: Path | str | None = None) -> Governance:
    """Load ``governance.yaml`` (the shipped one by default) and every file it names."""
    path = Path(path) if path is not None else CONFIG_DIR / "governance.yaml"
    config = load_config(GovernanceConfig, path)
    base = path.parent
    tables = []
    for spec in config.tables:
        dictionary = load_dictionary(base / spec.dictionary)
        quality = load_quality_config(base / spec.quality) if spec.quality else None
        if quality is not None:
            quality = quality.model_copy(update={"table": spec.governed_table})
        tables.append(
            GovernedTable(
                dictionary=dictionary,
                table=dictionary.table(spec.table),
                governed_table=spec.governed_table,
                cleaning=load_cleaning_config(base / spec.cleaning) if spec.cleaning else None,
                resolve=tuple(spec.resolve),
                quality=quality,
            )
        )
    crosswalk = load_crosswalk_config(base / config.crosswalk) if config.crosswalk else CrosswalkConfig()
    warehouse = tuple(load_quality_config(base / q) for q in config.warehouse_quality)
    return Governance(tuple(tables), crosswalk, warehouse)


@dataclass
class TableRun:
    """What governance did to one table in one run."""

    source_table: str
    governed_table: str
    mapped: ApplyReport
    cleaning: CleaningReport | None
    matched: dict[str, int] = field(default_factory=dict)  # column -> codes matched
    queued: dict[str, int] = field(default_factory=dict)  # column -> codes waiting for a steward
    quality: QualityReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_table": self.source_table,
            "governed_table": self.governed_table,
            "rows_in": self.mapped.rows_in,
            "rows_out": self.cleaning.rows_out if self.cleaning else self.mapped.rows_out,
            "cast_failures": self.mapped.cast_failures,
            "unmapped_codes": self.mapped.unmapped_codes,
            "cleaning": {o.rule: o.rows_affected for o in self.cleaning.outcomes} if self.cleaning else {},
            "codes_matched": self.matched,
            "codes_queued": self.queued,
            "dq_failed_partitions": self.quality.failed_partitions() if self.quality else [],
        }


def _governed_lineage(lineage: tuple[FieldLineage, ...], governed: str, cleaned: bool) -> list[FieldLineage]:
    suffix = "; cleaned (rules in cleaning_log)" if cleaned else ""
    return [
        FieldLineage(
            r.dictionary,
            r.dictionary_version,
            r.source_table,
            r.source_field,
            governed,
            r.target_column,
            r.transformation + suffix,
            r.expression,
        )
        for r in lineage
    ]


def govern_table(
    con: duckdb.DuckDBPyConnection,
    spec: GovernedTable,
    crosswalk: Crosswalk,
    *,
    clock: Clock,
    day: PlantDay | None,
    partitions: PartitionConfig | None = None,
) -> TableRun:
    if not table_exists(con, spec.source_table):
        create_ods_table(con, spec.source_table)  # the ODS landing's DDL: nothing landed yet
    mapped = apply_dictionary(
        con, spec.dictionary, spec.table, target_table=spec.mapped_table, store_lineage=False
    )
    cleaning = None
    if spec.cleaning is not None:
        cleaning = apply_cleaning(con, spec.cleaning, spec.mapped_table, spec.governed_table, clock=clock)
    else:
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(spec.governed_table)} AS SELECT *, "
            f"CAST([] AS VARCHAR[]) AS cleaning_flags FROM {qualified(spec.mapped_table)}"
        )
    con.execute(f"DROP TABLE IF EXISTS {qualified(spec.mapped_table)}")
    store_field_lineage(con, _governed_lineage(mapped.lineage, spec.governed_table, cleaning is not None))
    run = TableRun(spec.source_table, spec.governed_table, mapped, cleaning)
    for resolve in spec.resolve:
        summary = crosswalk.resolve_codes(
            resolve.entity,
            resolve.system,
            spec.governed_table,
            resolve.column,
            where="array_length(cleaning_flags) = 0",  # test records are flagged, not master data
        )
        run.matched[resolve.column] = summary.count(ResolutionStatus.MATCHED)
        run.queued[resolve.column] = summary.count(ResolutionStatus.QUEUED)
    if spec.quality is not None:
        run.quality = evaluate_quality(con, spec.quality, clock=clock, day=day, partitions=partitions)
    return run


def business_time_column(spec: GovernedTable) -> str:
    """The governed table's business time: its first required timestamp field (e.g. ``reported_at``)."""
    for f in spec.table.fields:
        if f.type.value == "timestamp" and f.required:
            return f.target or f.source
    return "occurred_at"


def remapped_days(con: duckdb.DuckDBPyConnection, governance: Governance, since: datetime) -> list[date]:
    """UTC days of governed rows whose code got a new (or a closed) crosswalk mapping after ``since``:
    what a steward's decision makes stale in the warehouse."""
    days: set[date] = set()
    for spec in governance.tables:
        time_column = business_time_column(spec)
        for resolve in spec.resolve:
            table = crosswalk_table(resolve.entity)
            rows = con.execute(
                f"SELECT DISTINCT CAST({ident(time_column)} AT TIME ZONE 'UTC' AS DATE) "
                f"FROM {qualified(spec.governed_table)} WHERE {ident(resolve.column)} IN ("
                f"SELECT source_code FROM {table} WHERE system = ? AND (valid_from > ? OR valid_to > ?))",
                [resolve.system, since, since],
            ).fetchall()
            days |= {r[0] for r in rows if r[0] is not None}
    return sorted(days)


def govern(
    con: duckdb.DuckDBPyConnection,
    plant: PlantDefinition,
    governance: Governance | None = None,
    *,
    clock: Clock | None = None,
    day: PlantDay | None = None,
    partitions: PartitionConfig | None = None,
) -> list[TableRun]:
    """Run governance for every configured table; the crosswalk is (re)seeded from the plant first."""
    governance = governance or load_governance()
    clock = clock or SystemClock()
    day = day or plant_day(plant)
    crosswalk = Crosswalk(con, governance.crosswalk, clock=clock)
    seed_from_plant(crosswalk, plant)
    return [
        govern_table(con, spec, crosswalk, clock=clock, day=day, partitions=partitions)
        for spec in governance.tables
    ]
