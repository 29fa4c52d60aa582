"""The data platform as the rest of plantloop sees it: one object over one warehouse file.

The composition root builds one :class:`DataPlatform` per process and hands it to the API routers, the
CLI, the report engine and the decision layer. What the decision layer needs is two small, stable calls::

    platform.dq_verdict([("dwd_operation_execution", "day=2026-11-27/line=L1"), ...])
        -> (passed, failed)          # the DQ gate: plantloop.loop.gating.CallableGate(platform.dq_verdict)
    platform.record_decision_inputs(decision_id, "schedule", [(table, partition), ...])
        -> rows recorded             # decision lineage, with each partition's verdict at decision time

Reads and writes each take their own cursor on the shared DuckDB instance (one per call, so threads never
share one); builds are serialized by a lock. Loaded DQ results are cached until they change.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import duckdb

from plantloop.dataplatform.build import PlatformBuildReport, Progress, build_platform
from plantloop.dataplatform.catalog.catalog import Catalog
from plantloop.dataplatform.catalog.decisions import decision_inputs, record_decision_inputs
from plantloop.dataplatform.governance.crosswalk import Crosswalk
from plantloop.dataplatform.governance.partitions import PlantDay, plant_day
from plantloop.dataplatform.governance.steward import StewardQueue
from plantloop.dataplatform.governance.verdicts import Gate, dq_stamp
from plantloop.dataplatform.metrics.query import MetricResult, Period, query_metric
from plantloop.dataplatform.warehouse.project import SEARCH_SCHEMAS
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.clock import Clock, SystemClock


class DataPlatform:
    def __init__(self, warehouse: Warehouse, *, clock: Clock | None = None) -> None:
        self.warehouse = warehouse
        self.clock = clock or SystemClock()
        self.day: PlantDay = plant_day(warehouse.plant)
        self._build_lock = threading.Lock()
        self._gate_lock = threading.Lock()
        self._gate: tuple[tuple[object, ...], Gate] | None = None
        self._catalog: Catalog | None = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.warehouse.connect() as con:
            yield con

    # ---- building -------------------------------------------------------------------------------
    def build(self, progress: Progress | None = None, *, end: datetime | None = None) -> PlatformBuildReport:
        """Govern, build, check and mark (one build at a time); ``end``: process days up to this instant
        (default: the wall clock)."""
        with self._build_lock:
            report = build_platform(self.warehouse, clock=self.clock, end=end, progress=progress)
            self._catalog = None  # lineage and descriptions may have changed
            return report

    @property
    def catalog(self) -> Catalog:
        """The catalog (its parsed column lineage is kept until the next build)."""
        if self._catalog is None:
            self._catalog = Catalog(self.warehouse)
        return self._catalog

    # ---- DQ verdicts ----------------------------------------------------------------------------
    def gate(self, con: duckdb.DuckDBPyConnection) -> Gate:
        """Verdicts over ``con``, from DQ results loaded once per change."""
        stamp = dq_stamp(con)
        with self._gate_lock:
            if self._gate is None or self._gate[0] != stamp:
                self._gate = (stamp, Gate(con, day=self.day, schemas=SEARCH_SCHEMAS))
            return self._gate[1].on(con)

    def dq_verdict(self, partitions: Sequence[tuple[str, str]]) -> tuple[bool, list[str]]:
        """The decision layer's gate: passed, and each failing input with its reasons."""
        with self.connect() as con:
            gate = self.gate(con)
            failed = []
            for table, partition in partitions:
                verdict = gate.verdict(table, partition)
                if not verdict.ok:
                    failed.append(f"{verdict.partition}: " + "; ".join(verdict.reasons()))
        return not failed, failed

    # ---- metrics --------------------------------------------------------------------------------
    def query_metric(
        self,
        name: str,
        period: Period = "day",
        group_by: Sequence[str] = (),
        filter: Mapping[str, str | Iterable[str]] | None = None,
        scope: Collection[str] | None = None,
        *,
        consumer: str = "metrics",
    ) -> MetricResult:
        """A metric's values, each row with its DQ status (see ``metrics.query.query_metric``)."""
        with self.connect() as con:
            gate = self.gate(con)
        return query_metric(
            self.warehouse, name, period, group_by, filter, scope, consumer=consumer, gate=gate
        )

    # ---- decision lineage -----------------------------------------------------------------------
    def record_decision_inputs(
        self,
        decision_id: str,
        kind: str,
        partitions: Iterable[tuple[str, str]],
        *,
        model_version: str | None = None,
    ) -> int:
        with self.connect() as con:
            return record_decision_inputs(
                con,
                decision_id,
                kind,
                partitions,
                gate=self.gate(con),
                model_version=model_version,
                at=self.clock.now(),
            )

    def decision_inputs(self, decision_id: str) -> list[dict[str, Any]]:
        with self.connect() as con:
            return decision_inputs(con, decision_id, self.gate(con))

    # ---- stewardship ----------------------------------------------------------------------------
    @contextmanager
    def steward_queue(self) -> Iterator[StewardQueue]:
        """The steward queue on its own cursor; changes take effect in the warehouse at the next build."""
        with self.connect() as con:
            yield StewardQueue(Crosswalk(con, self.warehouse.governance.crosswalk, clock=self.clock))
