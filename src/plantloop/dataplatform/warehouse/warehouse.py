"""The warehouse: one DuckDB file holding the ODS and the SQLMesh-managed layers DIM/DWD → DWS → ADS.

``Warehouse`` wraps a programmatic SQLMesh ``Context``: :meth:`build` plans and applies the production
environment (incremental models process only missing daily intervals), :meth:`restate` recomputes a date
range of chosen models *and everything downstream* (SQLMesh restatement), and :meth:`restate_late` finds
ODS rows that landed after the last build for days already processed (late or corrected events) and
restates exactly those days. Reads go through :meth:`query`; the physical tables are SQLMesh's, the
views ``dw.<model>`` are the public names.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from plantloop.dataplatform.governance.crosswalk_store import create_crosswalk_tables
from plantloop.dataplatform.governance.pipeline import (
    Governance,
    business_time_column,
    govern,
    load_governance,
)
from plantloop.dataplatform.governance.table_state import table_exists
from plantloop.dataplatform.ingest.schema import create_ods_table
from plantloop.dataplatform.warehouse.layers import bare_name
from plantloop.dataplatform.warehouse.project import ODS_SOURCES, SCHEMA, sqlmesh_config, write_project
from plantloop.kernel.errors import Conflict
from plantloop.mes.masterdata.schema import PlantDefinition

#: Incremental DWD models fed directly by the ODS (or a governed staging table): what late rows make stale.
ODS_FED_MODELS = (
    "dwd_operation_execution",
    "dwd_equipment_state_interval",
    "dwd_downtime",
    "dwd_inspection",
    "dwd_material_consumption",
    "dwd_telemetry",
    "dwd_production_report",
)


@dataclass
class BuildReport:
    started_at: datetime
    finished_at: datetime
    start: date
    end: date
    models: int
    restated_days: list[date] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_s": (self.finished_at - self.started_at).total_seconds(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "models": self.models,
            "restated_days": [d.isoformat() for d in self.restated_days],
        }


class WarehouseBuildFailed(Conflict):
    """A build or restatement stopped: a model failed or a blocking audit found bad rows. The ODS is
    unchanged and the models keep their last good intervals; fix the data (or the model) and build again."""

    code = "warehouse_build_failed"

    def __init__(self, failures: list[str]) -> None:
        super().__init__(
            "warehouse build failed: " + "; ".join(failures or ["see the log"]), failures=failures
        )
        self.failures = failures


def _failure_text(error: BaseException) -> str:
    """``model: 'audit' audit error: N rows failed`` from SQLMesh's NodeExecutionFailedError chain."""
    node = getattr(error, "node", None)
    cause = error.__cause__ or error.__context__
    reasons = [str(e) for e in getattr(cause, "errors", [])] or ([str(cause)] if cause else [])
    name = getattr(node, "snapshot_name", None) or (node[0] if isinstance(node, tuple) else node)
    return f"{name}: {', '.join(reasons) or error}"


class _FailureRecorder:
    """SQLMesh's console with memory: failed models are remembered (SQLMesh only prints them), every other
    call goes to the wrapped console."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failures: list[str] = []

    def log_failed_models(self, errors: list[Any]) -> None:
        self.failures.extend(_failure_text(e) for e in errors)
        self.inner.log_failed_models(errors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Warehouse:
    """The layered warehouse over ``database`` (a DuckDB file that also holds the ODS tables)."""

    def __init__(
        self,
        database: Path | str,
        plant: PlantDefinition,
        *,
        project_dir: Path | None = None,
        console: Any = None,
        governance: Governance | None = None,
    ) -> None:
        self.database = Path(database)
        self.plant = plant
        self.governance = governance or load_governance()
        self.project_dir = project_dir or self.database.parent / f"{self.database.stem}_sqlmesh"
        self._console = console
        self._context: Any = None
        self._recorder = _FailureRecorder(None)

    # ---- SQLMesh ---------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.project_dir / "warehouse_state.json"

    def _state(self) -> dict[str, Any]:
        if self.state_file.exists():
            data: dict[str, Any] = json.loads(self.state_file.read_text())
            return data
        return {}

    def _save_state(self, **values: Any) -> None:
        state = self._state() | values
        self.state_file.write_text(json.dumps(state, indent=2, default=str))

    def first_day(self) -> date:
        """The first day incremental models cover: fixed at the first build (earliest ODS day)."""
        known = self._state().get("start")
        if known:
            return date.fromisoformat(known)
        self.ensure_sources()
        with self.connect() as con:
            row = con.execute(
                "SELECT min(occurred_at AT TIME ZONE 'UTC') FROM ("
                + " UNION ALL ".join(f"SELECT occurred_at FROM {t}" for t in ODS_SOURCES)
                + ")"
            ).fetchone()
        first = row[0].date() if row and row[0] is not None else datetime.now(UTC).date()
        self._save_state(start=first.isoformat())
        return first

    def context(self) -> Any:
        if self._context is None:
            from sqlmesh import Context
            from sqlmesh.core.console import NoopConsole, set_console

            write_project(self.project_dir, self.plant, self.governance)
            config = sqlmesh_config(self.database, self.first_day())
            self._recorder = _FailureRecorder(self._console or NoopConsole())
            set_console(self._recorder)  # type: ignore[arg-type]  # process-global; a proxy of a Console
            self._context = Context(paths=str(self.project_dir), config=config)
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None

    def ensure_sources(self) -> None:
        """Create what the models read when nothing has landed yet: the ODS tables (same DDL as ingest),
        the crosswalk tables, and the governed staging tables (by one governance run)."""
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            for table in ODS_SOURCES:
                if not table_exists(con, table):
                    create_ods_table(con, table)
            create_crosswalk_tables(con)
            if not all(table_exists(con, t.governed_table) for t in self.governance.tables):
                govern(con, self.plant, self.governance)

    @property
    def governed_tables(self) -> tuple[str, ...]:
        return tuple(t.governed_table for t in self.governance.tables)

    def build(self, *, end: datetime | None = None) -> BuildReport:
        """Plan and apply prod: new and changed models are backfilled, incremental ones gain new days.

        Days that already were processed but received late ODS rows since the last build are restated.
        """
        started = datetime.now(UTC)
        self.ensure_sources()
        ctx = self.context()
        previous = self._state().get("built_at")
        restated: list[date] = []
        with self._failures_raised():
            # ``end`` is also the execution time: a plant clock that runs ahead of the wall clock (the demo's
            # accelerated time) builds its completed days without waiting for the wall clock to pass them
            # (a production plan takes no end date: its execution time decides which days are complete)
            ctx.plan(environment="prod", auto_apply=True, no_prompts=True, execution_time=end)
            ctx.run(environment="prod", end=end, execution_time=end)  # days completed since the last plan
        if previous:
            restated = self.restate_late(datetime.fromisoformat(previous), end=end)
        finished = datetime.now(UTC)
        self._save_state(built_at=started.isoformat())
        return BuildReport(
            started_at=started,
            finished_at=finished,
            start=self.first_day(),
            end=(end or finished).date(),
            models=len(ctx.models),
            restated_days=restated,
        )

    def restate(
        self,
        start: date,
        end: date,
        models: Sequence[str] = ODS_FED_MODELS,
        *,
        end_at: datetime | None = None,
    ) -> None:
        """Recompute ``models`` over [start, end] (days, inclusive) and everything downstream of them."""
        ctx = self.context()
        names = [f"{SCHEMA}.{bare_name(m)}" for m in models]
        with self._failures_raised():
            ctx.plan(
                environment="prod",
                restate_models=names,
                start=start.isoformat(),
                end=(end + timedelta(days=1)).isoformat(),
                auto_apply=True,
                no_prompts=True,
            )

    @contextlib.contextmanager
    def _failures_raised(self) -> Iterator[None]:
        """Turn SQLMesh's generic "Plan application failed." into :class:`WarehouseBuildFailed` naming the
        failed models and audits; a ``run`` that reports failure without raising is caught too."""
        from sqlmesh.utils.errors import SQLMeshError

        recorder = self._recorder
        recorder.failures.clear()
        try:
            yield
        except SQLMeshError as error:
            raise WarehouseBuildFailed(list(recorder.failures) or [str(error)]) from error
        if recorder.failures:
            raise WarehouseBuildFailed(list(recorder.failures))

    def late_days(self, since: datetime) -> list[date]:
        """Days (UTC) of ODS rows that landed after ``since`` but occurred before ``since``'s day."""
        cutoff = since.astimezone(UTC)
        sources = [f"SELECT occurred_at, ingested_at FROM {t}" for t in ODS_SOURCES]
        # governed rows: their business time (e.g. a legacy booking's reported_at) decides the day
        sources += [
            f"SELECT {self._time_of(t)} AS occurred_at, ingested_at FROM {t}" for t in self.governed_tables
        ]
        with self.connect() as con:
            rows = con.execute(
                "SELECT DISTINCT CAST(occurred_at AT TIME ZONE 'UTC' AS DATE) AS d FROM ("
                + " UNION ALL ".join(sources)
                + ") WHERE ingested_at > ? AND CAST(occurred_at AT TIME ZONE 'UTC' AS DATE) < ? ORDER BY d",
                [cutoff, cutoff.date()],
            ).fetchall()
        return [r[0] for r in rows]

    def _time_of(self, governed_table: str) -> str:
        spec = next(t for t in self.governance.tables if t.governed_table == governed_table)
        return business_time_column(spec)

    def last_built_at(self) -> datetime | None:
        """When the last successful build started (None before the first)."""
        built = self._state().get("built_at")
        return datetime.fromisoformat(built) if built else None

    def table_lineage(self) -> list[tuple[str, str]]:
        """(upstream, downstream) bare table names: every model's dependencies, plus governance's
        ODS → STG steps."""
        edges = [
            (bare_name(dep), bare_name(fqn))
            for fqn, model in self.context().models.items()
            if not model.kind.is_external
            for dep in model.depends_on
        ]
        edges += [(t.source_table, t.governed_table) for t in self.governance.tables]
        return sorted(set(edges))

    def restate_late(self, since: datetime, *, end: datetime | None = None) -> list[date]:
        """Restate the days that received late rows, widened by a day either side (shifts cross days)."""
        days = self.late_days(since)
        if not days:
            return []
        last_allowed = (end or datetime.now(UTC)).date() - timedelta(days=1)
        self.restate(days[0] - timedelta(days=1), min(days[-1] + timedelta(days=1), last_allowed))
        return days

    # ---- reading --------------------------------------------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection on the warehouse file (use as a context manager). Never read-only: in one
        process every user of the file (landing, build, API) shares one read-write database instance."""
        if self._context is not None:
            # SQLMesh keeps the file open in this process: share its database instance.
            adapter = self._context.engine_adapter
            con: duckdb.DuckDBPyConnection = adapter.connection.cursor()
            return con
        return duckdb.connect(str(self.database))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.connect() as con:
            return con.execute(sql, list(params or [])).fetchall()

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with self.connect() as con:
            return con.execute(sql, list(params or [])).df()

    def table_names(self) -> list[str]:
        """Bare names of every model of the warehouse (``dws_line_day``, …)."""
        models = self.context().models
        return sorted(bare_name(name) for name, m in models.items() if not m.kind.is_external)
