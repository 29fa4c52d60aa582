"""One build of the data platform, in order, with progress:

1. **govern** — every configured source table: field dictionary → cleaning → crosswalk → DQ (stg);
2. **warehouse** — SQLMesh plan/apply (new days, late ODS rows restated), then the days whose rows got a
   new crosswalk mapping since the last build (a steward's decision) are restated too;
3. **quality** — the warehouse tables' DQ checks, on the partitions this build touched;
4. **lineage** — table lineage (SQLMesh DAG + governance steps) stored for verdicts and the catalog, and
   every partition downstream of a failed one marked in ``dq_downstream_mark``.

The CLI (``plantloop platform build``) shows the steps as a Rich progress bar; ``plantloop up`` runs it on
a schedule. A failing model or blocking audit stops the build with :class:`WarehouseBuildFailed` and
leaves the warehouse on its last good intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from plantloop.dataplatform.governance.partitions import plant_day
from plantloop.dataplatform.governance.pipeline import TableRun, govern, remapped_days
from plantloop.dataplatform.governance.quality import QualityReport, evaluate_quality, partition_dimensions
from plantloop.dataplatform.governance.quality_config import QualityConfig
from plantloop.dataplatform.governance.sql_text import literal
from plantloop.dataplatform.governance.verdicts import mark_downstream, record_table_lineage
from plantloop.dataplatform.warehouse.project import SEARCH_SCHEMAS
from plantloop.dataplatform.warehouse.warehouse import BuildReport, Warehouse
from plantloop.kernel.clock import Clock, SystemClock

STEPS = ("govern", "warehouse", "quality", "lineage")

#: Called with (step name, steps done, steps in all) before each step and once at the end.
Progress = Callable[[str, int, int], None]


@dataclass
class PlatformBuildReport:
    governance: list[TableRun]
    warehouse: BuildReport
    remapped_days: list[date] = field(default_factory=list)
    quality: list[QualityReport] = field(default_factory=list)
    marks: int = 0

    @property
    def failed_partitions(self) -> dict[str, list[str]]:
        """Blocking DQ failures of this build: table → partitions."""
        out: dict[str, list[str]] = {}
        for run in self.governance:
            if run.quality is not None and run.quality.failed_partitions():
                out[run.governed_table] = run.quality.failed_partitions()
        for report in self.quality:
            if report.failed_partitions():
                out[report.table] = report.failed_partitions()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "warehouse": self.warehouse.to_dict(),
            "governance": [r.to_dict() for r in self.governance],
            "remapped_days": [d.isoformat() for d in self.remapped_days],
            "dq_failed_partitions": self.failed_partitions,
            "downstream_marks": self.marks,
        }


def _touched_since(
    config: QualityConfig, wh: Warehouse, since: datetime | None, extra_days: list[date]
) -> str | None:
    """A ``where`` limiting a warehouse check to the days this build may have changed (None: all)."""
    if since is None:
        return None
    with wh.connect() as con:
        dims = partition_dimensions(con, config, plant_day(wh.plant))
    if "day" not in dims:
        return None
    first = since.astimezone(UTC).date() - timedelta(days=2)  # incremental lookbacks
    if extra_days:
        first = min(first, min(extra_days) - timedelta(days=1))
    return f"CAST({dims['day']} AS DATE) >= {literal(first)}"


def build_platform(
    wh: Warehouse,
    *,
    clock: Clock | None = None,
    end: datetime | None = None,
    progress: Progress | None = None,
) -> PlatformBuildReport:
    """Govern, build, check and mark — see the module docstring."""
    clock = clock or SystemClock()
    day = plant_day(wh.plant)
    step = 0

    def advance(name: str) -> None:
        nonlocal step
        if progress is not None:
            progress(name, step, len(STEPS))
        step += 1

    advance("govern")
    wh.ensure_sources()
    since = wh.last_built_at()
    with wh.connect() as con:
        runs = govern(con, wh.plant, wh.governance, clock=clock, day=day)
        remapped = remapped_days(con, wh.governance, since) if since is not None else []
    advance("warehouse")
    built = wh.build(end=end)
    if remapped:
        last = (end or datetime.now(UTC)).date() - timedelta(days=1)
        first = min(remapped[0] - timedelta(days=1), last)
        wh.restate(first, min(remapped[-1] + timedelta(days=1), last), ["dwd_production_report"])
    advance("quality")
    restated = sorted(set(built.restated_days) | set(remapped))
    reports = []
    for config in wh.governance.warehouse_quality:
        where = _touched_since(config, wh, since, restated)
        with wh.connect() as con:
            reports.append(evaluate_quality(con, config, where=where, clock=clock, day=day))
    advance("lineage")
    with wh.connect() as con:
        record_table_lineage(con, wh.table_lineage(), clock)
        marks = mark_downstream(con, day=day, clock=clock, schemas=SEARCH_SCHEMAS)
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    return PlatformBuildReport(runs, built, remapped, reports, marks)
