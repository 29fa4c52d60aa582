"""Cleaning rules as configuration: each rule flags or removes rows, always with a count and a reason.

Rule kinds (a closed vocabulary, like dlt's schema contracts)::

    test_record   a column starts with one of ``prefixes`` or equals one of ``values`` (case-insensitive)
    range         a number outside [min, max] — negative quantities, temperatures beyond physics
    order         ``end`` before ``start`` (both present)
    duplicate     same business ``keys`` (all non-NULL): keep the first by ``order_by``, hit the rest
    predicate     any SQL condition ``where`` (escape hatch, written by a data engineer)

Rules run in order, in one generated DuckDB statement: a row removed by an earlier rule is not seen by
later ones (a removed test scan does not make the real scan a duplicate). Kept rows carry the names of
the flag rules that hit them in ``cleaning_flags``; removed rows go to ``<target>__rejected`` with the
rule and reason — nothing disappears without a trace. Every run writes one ``cleaning_log`` row per rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from plantloop.dataplatform.governance.config_files import load_config, validate_config
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified
from plantloop.dataplatform.governance.table_state import table_columns
from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.ids import new_id


class CleaningAction(StrEnum):
    FLAG = "flag"
    REMOVE = "remove"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    action: CleaningAction = CleaningAction.REMOVE
    reason: str = ""


class TestRecordRule(_Rule):
    kind: Literal["test_record"]
    column: str
    prefixes: list[str] = []
    values: list[str] = []

    def predicate(self) -> str:
        text = f"upper(CAST({ident(self.column)} AS VARCHAR))"
        parts = [f"starts_with({text}, {literal(p.upper())})" for p in self.prefixes]
        if self.values:
            parts.append(f"{text} IN ({', '.join(literal(v.upper()) for v in self.values)})")
        return " OR ".join(parts) or "FALSE"


class RangeRule(_Rule):
    kind: Literal["range"]
    column: str
    min: float | None = None
    max: float | None = None

    def predicate(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{ident(self.column)} < {literal(self.min)}")
        if self.max is not None:
            parts.append(f"{ident(self.column)} > {literal(self.max)}")
        return " OR ".join(parts) or "FALSE"


class OrderRule(_Rule):
    kind: Literal["order"]
    start: str
    end: str

    def predicate(self) -> str:
        return f"{ident(self.end)} < {ident(self.start)}"


class DuplicateRule(_Rule):
    kind: Literal["duplicate"]
    keys: list[str] = Field(min_length=1)
    order_by: list[str] = Field(min_length=1, description="The first row in this order is kept.")
    tie_break: list[str] = []

    def predicate(self) -> str:
        partition = ", ".join([*(ident(k) for k in self.keys), "__removed_by IS NULL"])
        order = ", ".join(ident(c) for c in [*self.order_by, *self.tie_break])
        present = " AND ".join(f"{ident(k)} IS NOT NULL" for k in self.keys)
        return f"({present}) AND row_number() OVER (PARTITION BY {partition} ORDER BY {order}) > 1"


class PredicateRule(_Rule):
    kind: Literal["predicate"]
    where: str = Field(min_length=1)

    def predicate(self) -> str:
        return self.where


CleaningRule = Annotated[
    TestRecordRule | RangeRule | OrderRule | DuplicateRule | PredicateRule, Field(discriminator="kind")
]


class CleaningConfig(BaseModel):
    """The rules of one table, in the order they run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | None = Field(default=None, description="The table these rules are written for.")
    rules: list[CleaningRule] = Field(min_length=1)


def load_cleaning_config(path: Path | str) -> CleaningConfig:
    return load_config(CleaningConfig, path)


def parse_cleaning_config(raw: Mapping[str, Any], origin: str = "<document>") -> CleaningConfig:
    return validate_config(CleaningConfig, dict(raw), origin)


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    kind: str
    action: CleaningAction
    reason: str
    rows_affected: int


@dataclass(frozen=True)
class CleaningReport:
    run_id: str
    source_table: str
    target_table: str
    rejected_table: str
    rows_in: int
    rows_out: int
    outcomes: tuple[RuleOutcome, ...]

    def affected(self, rule: str) -> int:
        return next(o.rows_affected for o in self.outcomes if o.rule == rule)


CLEANING_LOG_DDL = """
CREATE TABLE IF NOT EXISTS cleaning_log (
  run_id VARCHAR, table_name VARCHAR, target_table VARCHAR, rule VARCHAR, kind VARCHAR, action VARCHAR,
  reason VARCHAR, rows_affected BIGINT, rows_in BIGINT, logged_at TIMESTAMPTZ)
"""


def _reason(rule: _Rule, kind: str) -> str:
    return rule.reason or f"{kind} rule {rule.name}"


def apply_cleaning(
    con: duckdb.DuckDBPyConnection,
    config: CleaningConfig,
    source_table: str,
    target_table: str,
    *,
    run_id: str | None = None,
    clock: Clock | None = None,
) -> CleaningReport:
    """Clean ``source_table`` into ``target_table`` (+ ``<target>__rejected``) and log counts per rule."""
    run_id = run_id or new_id()
    logged_at: datetime = (clock or SystemClock()).now()
    columns = table_columns(con, source_table)
    has_flags = "cleaning_flags" in columns
    base_flags = "COALESCE(cleaning_flags, CAST([] AS VARCHAR[]))" if has_flags else "CAST([] AS VARCHAR[])"
    exclude = " EXCLUDE (cleaning_flags)" if has_flags else ""
    ctes = [
        f"s0 AS (SELECT *{exclude}, CAST(NULL AS VARCHAR) AS __removed_by, {base_flags} AS __flags "
        f"FROM {qualified(source_table)})"
    ]
    rules = list(config.rules)
    for i, rule in enumerate(rules, start=1):
        hit = f"__hit_{i}"
        if rule.action is CleaningAction.REMOVE:
            change = f"CASE WHEN {hit} THEN {literal(rule.name)} ELSE __removed_by END AS __removed_by"
        else:
            change = (
                f"CASE WHEN {hit} THEN list_append(__flags, {literal(rule.name)}) ELSE __flags END AS __flags"
            )
        ctes.append(
            f"s{i} AS (SELECT * REPLACE ({change}) FROM (SELECT *, "
            f"COALESCE(__removed_by IS NULL AND ({rule.predicate()}), FALSE) AS {hit} FROM s{i - 1}))"
        )
    work = f"__cleaning_{run_id.replace('-', '')}"
    con.execute(f"CREATE TEMP TABLE {ident(work)} AS WITH {', '.join(ctes)} SELECT * FROM s{len(rules)}")
    try:
        sums = ", ".join(f"count(*) FILTER (WHERE __hit_{i})" for i in range(1, len(rules) + 1))
        counts = con.execute(f"SELECT count(*), {sums} FROM {ident(work)}").fetchone()
        assert counts is not None
        internal = ", ".join(["__removed_by", "__flags", *(f"__hit_{i}" for i in range(1, len(rules) + 1))])
        rejected = f"{target_table}__rejected"
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(target_table)} AS SELECT * EXCLUDE ({internal}), "
            f"__flags AS cleaning_flags FROM {ident(work)} WHERE __removed_by IS NULL"
        )
        reasons = " ".join(
            f"WHEN {literal(r.name)} THEN {literal(_reason(r, r.kind))}"
            for r in rules
            if r.action is CleaningAction.REMOVE
        )
        reason_sql = f"CASE __removed_by {reasons} END" if reasons else "CAST(NULL AS VARCHAR)"
        con.execute(
            f"CREATE OR REPLACE TABLE {qualified(rejected)} AS SELECT * EXCLUDE ({internal}), "
            f"__flags AS cleaning_flags, __removed_by AS removed_by_rule, {reason_sql} AS removed_reason, "
            f"{literal(run_id)} AS cleaning_run_id FROM {ident(work)} WHERE __removed_by IS NOT NULL"
        )
        kept = con.execute(f"SELECT count(*) FROM {qualified(target_table)}").fetchone()
        assert kept is not None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ident(work)}")
    outcomes = tuple(
        RuleOutcome(r.name, r.kind, r.action, _reason(r, r.kind), int(counts[i]))
        for i, r in enumerate(rules, start=1)
    )
    con.execute(CLEANING_LOG_DDL)
    con.executemany(
        "INSERT INTO cleaning_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                source_table,
                target_table,
                o.rule,
                o.kind,
                o.action.value,
                o.reason,
                o.rows_affected,
                int(counts[0]),
                logged_at,
            ]
            for o in outcomes
        ],
    )
    return CleaningReport(
        run_id=run_id,
        source_table=source_table,
        target_table=target_table,
        rejected_table=rejected,
        rows_in=int(counts[0]),
        rows_out=int(kept[0]),
        outcomes=outcomes,
    )
