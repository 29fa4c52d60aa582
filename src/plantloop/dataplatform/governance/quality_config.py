"""Data-quality checks as configuration: the YAML schema of one table's checks and its partitioning.

```yaml
table: dwd_production_report
partition:                      # named dimensions: SQL over the table, or {production_day: <column>};
  day: {production_day: reported_at}   # left out: the table's primary scheme in config/partitions.yaml
  line: line_id
checks:
  - {name: order_id_complete, kind: completeness, column: order_id, expect: {max: 0.0}}
  - {name: rows_normal, kind: row_count, rolling: {over: day, window: 7, k_sigma: 3}}
```

Every check computes one *observed* value per partition (null rate, duplicate rows, invalid rate, lag in
seconds, orphan rate, row count) and compares it with fixed bounds (``expect``) or with a rolling band
(mean ± k·σ of the same check on the last N partitions, ordered by one dimension, same other dimensions).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plantloop.dataplatform.governance.config_files import load_config, validate_config
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity
from plantloop.dataplatform.governance.partitions import PartitionExpr

_NAME = r"^[a-z][a-z0-9_]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(StrEnum):
    ERROR = "error"  # fails the partition
    WARN = "warn"  # recorded, does not fail the partition


class Bounds(_Model):
    min: float | None = None
    max: float | None = None


class Rolling(_Model):
    over: str = Field(description="The ordered partition dimension (e.g. day).")
    window: int = Field(default=7, ge=2)
    k_sigma: float = Field(default=3.0, gt=0)
    min_history: int = Field(default=3, ge=2, description="Fewer earlier partitions: the check passes.")
    min_sigma: float = Field(default=0.0, ge=0, description="Floor on σ, so a flat history is not brittle.")


class _Check(_Model):
    name: str = Field(pattern=_NAME)
    severity: Severity = Severity.ERROR
    expect: Bounds | None = None
    rolling: Rolling | None = None
    where: str | None = Field(default=None, description="Only rows matching this SQL condition.")

    @model_validator(mode="after")
    def _one_expectation(self) -> Self:
        if self.expect is not None and self.rolling is not None:
            raise ValueError(f"check {self.name!r}: give expect or rolling, not both")
        return self

    def default_bounds(self) -> Bounds:
        return Bounds(max=0.0)


class CompletenessCheck(_Check):
    """Observed: share of rows where ``column`` is NULL."""

    kind: Literal["completeness"]
    column: str


class UniquenessCheck(_Check):
    """Observed: rows beyond the first per key (rows with a NULL key part are not counted)."""

    kind: Literal["uniqueness"]
    columns: list[str] = Field(min_length=1)


class ValidityCheck(_Check):
    """Observed: share of non-NULL values outside [min, max], not in ``values`` or not matching ``regex``."""

    kind: Literal["validity"]
    column: str
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _has_rule(self) -> Self:
        if self.min is None and self.max is None and self.values is None and self.regex is None:
            raise ValueError(f"validity check {self.name!r} needs min/max, values or regex")
        return self


class TimelinessCheck(_Check):
    """Observed: lag in seconds from ``occurred_column`` to ``arrived_column`` (max or a percentile)."""

    kind: Literal["timeliness"]
    occurred_column: str = "occurred_at"
    arrived_column: str = "ingested_at"
    percentile: float | None = Field(default=None, gt=0, le=1, description="None: the maximum lag.")

    @model_validator(mode="after")
    def _needs_expectation(self) -> Self:
        if self.expect is None and self.rolling is None:
            raise ValueError(f"timeliness check {self.name!r} needs expect: {{max: <seconds>}}")
        return self


class ReferentialCheck(_Check):
    """Observed: share of non-NULL values with no crosswalk entry (``system`` codes, or canonical ids)."""

    kind: Literal["referential"]
    column: str
    entity: MasterEntity
    system: str | None = Field(default=None, description="None: values must be canonical ids.")


class RowCountCheck(_Check):
    """Observed: number of rows."""

    kind: Literal["row_count"]

    def default_bounds(self) -> Bounds:
        return Bounds(min=1.0)


QualityCheck = Annotated[
    CompletenessCheck | UniquenessCheck | ValidityCheck | TimelinessCheck | ReferentialCheck | RowCountCheck,
    Field(discriminator="kind"),
]


class QualityConfig(_Model):
    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    partition: dict[str, PartitionExpr] | None = Field(
        default=None,
        description="Dimension name → SQL or {production_day: column}; None: the table's primary scheme.",
    )
    checks: list[QualityCheck] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [c.name for c in self.checks]
        if len(names) != len(set(names)):
            raise ValueError(f"check names must be unique, got {names}")
        for check in self.checks:
            if self.partition is None:
                continue  # the scheme comes from partitions.yaml: checked when evaluated
            if check.rolling is not None and check.rolling.over not in self.partition:
                raise ValueError(
                    f"check {check.name!r}: rolling.over {check.rolling.over!r} is not a partition dimension"
                )
        return self


def load_quality_config(path: Path | str) -> QualityConfig:
    return load_config(QualityConfig, path)


def parse_quality_config(raw: Mapping[str, Any], origin: str = "<document>") -> QualityConfig:
    return validate_config(QualityConfig, dict(raw), origin)
