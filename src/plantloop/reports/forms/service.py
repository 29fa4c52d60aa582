"""The form service: validate an entry (field types, then the data platform's DQ engine on the entry's row),
propose it as a FORM_ENTRY decision (nothing changes until a reviewer approves), and list entries.

Validation uses :func:`plantloop.dataplatform.governance.quality.evaluate_quality` — the engine the pipelines
run — on a one-row table in a private in-memory DuckDB whose crosswalk is seeded from the plant (so
``referential`` checks know the plant's equipment and materials). A failed ``error`` check refuses the entry
with the check's name and what it observed; nothing is proposed.

Four eyes: whoever entered a form may not approve it (:func:`check_reviewer`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from plantloop.dataplatform.governance.crosswalk import Crosswalk
from plantloop.dataplatform.governance.crosswalk_seed import seed_from_plant
from plantloop.dataplatform.governance.quality import CheckResult, evaluate_quality
from plantloop.dataplatform.governance.quality_config import parse_quality_config
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.errors import PermissionDenied
from plantloop.kernel.ids import new_id
from plantloop.loop import Decision, DecisionKind, DecisionService, DecisionStatus
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.queries import MesQueries
from plantloop.reports.forms.definitions import (
    FormCatalog,
    FormDefinition,
    InvalidFormEntry,
    coerce_entry,
    load_forms,
    master_values,
)
from plantloop.reports.forms.targets import TARGETS, Prepared

ENTRY_TABLE = "form_entry"


class OwnEntry(PermissionDenied):
    code = "own_form_entry"


@dataclass(frozen=True)
class Validated:
    form: FormDefinition
    values: dict[str, Any]
    prepared: Prepared
    checks: list[CheckResult]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


class FormService:
    def __init__(
        self,
        plant: PlantDefinition,
        decisions: DecisionService,
        *,
        catalog: FormCatalog | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.plant = plant
        self.decisions = decisions
        self.catalog = catalog or load_forms()
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- validation --------------------------------------------------------------------------------
    def validate(self, form_id: str, raw: dict[str, Any], queries: MesQueries, user: str) -> Validated:
        """Typed values, the prepared commands and the DQ results; :class:`InvalidFormEntry` if any
        blocking check fails (the message names the checks)."""
        form = self.catalog.get(form_id)
        values = coerce_entry(form, raw, self.plant)
        prepared = TARGETS[form.target](new_id(), values, queries, self.clock.now(), user)
        results = self._evaluate(form, prepared.row)
        failed = [r for r in results if r.blocking]
        if failed:
            raise InvalidFormEntry(
                "the entry fails data-quality checks: "
                + "; ".join(f"{r.check} (observed {r.observed:g})" for r in failed),
                form_id=form.id,
                checks=[r.check for r in failed],
            )
        if not prepared.commands:
            raise InvalidFormEntry("the entry does not make a valid MES command", form_id=form.id)
        return Validated(form, values, prepared, results)

    def _evaluate(self, form: FormDefinition, row: dict[str, Any]) -> list[CheckResult]:
        checks = []
        for check in form.checks:
            spec = dict(check)
            source = spec.pop("values_from", None)
            if source is not None:
                spec["values"] = master_values(self.plant, source)
            checks.append(spec)
        config = parse_quality_config(
            {"table": ENTRY_TABLE, "partition": {"entry": "'entry'"}, "checks": checks}, f"form {form.id}"
        )
        names = sorted(row)
        select = ", ".join(f'${i} AS "{name}"' for i, name in enumerate(names, start=1))
        with self._lock:
            con = self._connection()
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {ENTRY_TABLE} AS SELECT {select}", [row[n] for n in names]
            )
            try:
                report = evaluate_quality(con, config, store=False, clock=self.clock)
            finally:
                con.execute(f"DROP TABLE IF EXISTS {ENTRY_TABLE}")
        return list(report.results)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = duckdb.connect()
            seed_from_plant(Crosswalk(con, clock=self.clock), self.plant)
            self._con = con
        return self._con

    # -- submitting and reviewing --------------------------------------------------------------------
    def submit(self, form_id: str, raw: dict[str, Any], queries: MesQueries, user: str) -> Decision:
        """Validate and propose the entry as a FORM_ENTRY decision waiting for review."""
        checked = self.validate(form_id, raw, queries, user)
        form, prepared = checked.form, checked.prepared
        return self.decisions.propose(
            DecisionKind.FORM_ENTRY,
            subject=f"form:{form.id}:{prepared.subject}",
            commands=prepared.commands,
            title=f"{form.title_en}: {prepared.summary}",
            evidence={
                "form_id": form.id,
                "values": {k: _jsonable(v) for k, v in checked.values.items()},
                "entered_by": user,
                "dq": [
                    {"check": r.check, "passed": r.passed, "observed": r.observed, "expected": r.expected}
                    for r in checked.checks
                ],
            },
            parameters={"form_id": form.id},
            model_version="form:v1",
            proposed_by=user,
        )

    def entries(
        self, *, entered_by: str | None = None, status: DecisionStatus | None = None, limit: int = 200
    ) -> list[Decision]:
        found = self.decisions.list(kind=DecisionKind.FORM_ENTRY, status=status, limit=limit)
        return [d for d in found if entered_by is None or d.proposed_by == entered_by]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def check_reviewer(decision: Decision, user: str) -> None:
    """Four eyes: the person who entered a form entry does not approve it."""
    if decision.kind is DecisionKind.FORM_ENTRY and decision.proposed_by == user:
        raise OwnEntry(f"{user!r} entered this form and cannot review it", decision_id=decision.id)
