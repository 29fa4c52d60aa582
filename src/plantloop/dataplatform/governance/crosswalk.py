"""The master-data crosswalk: one canonical id per equipment, material, person and supplier across systems.

Seeded from the plant definition (the golden source). A code offered by another system is resolved by
the match rules of :mod:`crosswalk_matching`; a match is stored as a versioned crosswalk row, a miss or an
ambiguity goes to the steward queue (reviewed with :mod:`steward`). Attributes each system offers are kept
as observations; survivorship (system priority, then recency — per attribute if configured) builds the
golden record, and every change of a mapping or of a golden record is a new version (SCD type 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import duckdb

from plantloop.dataplatform.governance.crosswalk_config import CrosswalkConfig
from plantloop.dataplatform.governance.crosswalk_matching import (
    MatchContext,
    Outcome,
    match_code,
    normalize_code,
)
from plantloop.dataplatform.governance.crosswalk_store import (
    MasterEntity,
    MatchRule,
    StewardStatus,
    create_crosswalk_tables,
    crosswalk_table,
    golden_table,
)
from plantloop.dataplatform.governance.errors import UnknownCanonicalId
from plantloop.dataplatform.governance.sql_text import ident, literal, qualified, values_sql
from plantloop.dataplatform.governance.steward_intake import (
    auto_close,
    count_again,
    enqueue,
    item_status,
    steward_item_id,
)
from plantloop.dataplatform.governance.survivorship import Observation, survive
from plantloop.kernel.clock import Clock, SystemClock


class ResolutionStatus(StrEnum):
    MATCHED = "matched"
    QUEUED = "queued"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Resolution:
    entity: MasterEntity
    system: str
    source_code: str
    status: ResolutionStatus
    canonical_id: str | None = None
    rule: MatchRule | None = None
    score: float | None = None
    item_id: str | None = None


@dataclass
class ResolveSummary:
    resolutions: list[Resolution] = field(default_factory=list)

    def count(self, status: ResolutionStatus) -> int:
        return sum(1 for r in self.resolutions if r.status is status)


class Crosswalk:
    """Crosswalk operations on one DuckDB connection. ``actor`` is recorded on automatic changes."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        config: CrosswalkConfig | None = None,
        clock: Clock | None = None,
        actor: str = "crosswalk",
    ) -> None:
        self.con = con
        self.config = config or CrosswalkConfig()
        self.clock = clock or SystemClock()
        self.actor = actor
        create_crosswalk_tables(con)

    # ---- reading -----------------------------------------------------------------------------
    def canonical_id(self, entity: MasterEntity | str, system: str, code: str) -> str | None:
        row = self.con.execute(
            f"SELECT canonical_id FROM {crosswalk_table(entity)} WHERE is_current AND system = ? "
            "AND source_code = ?",
            [system, code],
        ).fetchone()
        return str(row[0]) if row else None

    def golden(self, entity: MasterEntity | str, canonical_id: str) -> dict[str, Any] | None:
        row = self.con.execute(
            f"SELECT attributes, attribute_sources, version FROM {golden_table(entity)} "
            "WHERE is_current AND canonical_id = ?",
            [canonical_id],
        ).fetchone()
        if row is None:
            return None
        return {"attributes": json.loads(row[0]), "sources": json.loads(row[1]), "version": int(row[2])}

    def mapping_history(self, entity: MasterEntity | str, system: str, code: str) -> list[dict[str, Any]]:
        cur = self.con.execute(
            f"SELECT * FROM {crosswalk_table(entity)} WHERE system = ? AND source_code = ? ORDER BY version",
            [system, code],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _context(self, entity: MasterEntity) -> MatchContext:
        golden = self.con.execute(
            f"SELECT canonical_id, name FROM {golden_table(entity)} WHERE is_current"
        ).fetchall()
        mapped = self.con.execute(
            f"SELECT source_code, canonical_id FROM {crosswalk_table(entity)} WHERE is_current"
        ).fetchall()
        aliases = self.con.execute(
            "SELECT normalized_alias, canonical_id FROM crosswalk_alias WHERE entity = ?", [entity.value]
        ).fetchall()
        return MatchContext(
            golden_names={str(c): (str(n) if n is not None else None) for c, n in golden},
            mapped_codes={str(s): str(c) for s, c in mapped},
            aliases={str(a): str(c) for a, c in aliases},
        )

    # ---- writing -----------------------------------------------------------------------------
    def observe(
        self, entity: MasterEntity | str, system: str, code: str, attributes: Mapping[str, Any]
    ) -> None:
        """Record what ``system`` says about ``code`` now (input to survivorship)."""
        # one row per (entity, system, code); update-or-insert (DuckDB key upserts and deletes are slow)
        key = [MasterEntity(entity).value, system, code]
        text = json.dumps(dict(attributes), sort_keys=True)
        now = self.clock.now()
        found = self.con.execute(
            "SELECT 1 FROM crosswalk_observation WHERE entity = ? AND system = ? AND source_code = ?", key
        ).fetchone()
        if found:
            self.con.execute(
                "UPDATE crosswalk_observation SET attributes = ?, observed_at = ? "
                "WHERE entity = ? AND system = ? AND source_code = ?",
                [text, now, *key],
            )
        else:
            self.con.execute("INSERT INTO crosswalk_observation VALUES (?, ?, ?, ?, ?)", [*key, text, now])

    def map_code(
        self,
        entity: MasterEntity | str,
        system: str,
        code: str,
        canonical_id: str,
        *,
        rule: MatchRule,
        score: float | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Point (system, code) at ``canonical_id``; a change closes the current row. Returns the version."""
        entity = MasterEntity(entity)
        table = crosswalk_table(entity)
        current = self.con.execute(
            f"SELECT canonical_id, version FROM {table} WHERE is_current AND system = ? AND source_code = ?",
            [system, code],
        ).fetchone()
        if current is not None and current[0] == canonical_id:
            return int(current[1])
        now = self.clock.now()
        version = 1
        if current is not None:
            version = int(current[1]) + 1
            self.con.execute(
                f"UPDATE {table} SET is_current = FALSE, valid_to = ? WHERE is_current AND system = ? "
                "AND source_code = ?",
                [now, system, code],
            )
        rules = self.config.rules_for(entity)
        self.con.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, TRUE, ?, ?)",
            [
                system,
                code,
                normalize_code(code, rules.strip_leading_zeros),
                canonical_id,
                rule.value,
                score,
                version,
                now,
                actor or self.actor,
                reason,
            ],
        )
        return version

    def add_alias(self, entity: MasterEntity | str, alias: str, canonical_id: str, actor: str) -> None:
        entity = MasterEntity(entity)
        if self.golden(entity, canonical_id) is None:
            raise UnknownCanonicalId(entity.value, canonical_id)
        key = normalize_code(alias, self.config.rules_for(entity).strip_leading_zeros)
        self.con.execute(
            "INSERT INTO crosswalk_alias VALUES (?, ?, ?, ?, ?, ?)",
            [entity.value, alias, key, canonical_id, actor, self.clock.now()],
        )

    def refresh_golden(self, entity: MasterEntity | str, canonical_id: str) -> int:
        """Recompute one golden record by survivorship; a change is a new version. Returns the version."""
        return self.refresh_golden_many(entity, [canonical_id])[canonical_id]

    def refresh_golden_many(self, entity: MasterEntity | str, canonical_ids: list[str]) -> dict[str, int]:
        """Survivorship for many canonical ids in a few statements; returns the current version of each."""
        entity = MasterEntity(entity)
        table = golden_table(entity)
        ids = sorted(set(canonical_ids))
        if not ids:
            return {}
        id_list = ", ".join(literal(i) for i in ids)
        observed: dict[str, list[Observation]] = {}
        for cid, system, attrs, at in self.con.execute(
            f"""SELECT m.canonical_id, o.system, o.attributes, o.observed_at FROM crosswalk_observation o
                JOIN {crosswalk_table(entity)} m ON m.is_current AND m.system = o.system
                 AND m.source_code = o.source_code
                WHERE o.entity = ? AND m.canonical_id IN ({id_list})""",
            [entity.value],
        ).fetchall():
            observed.setdefault(str(cid), []).append((str(system), json.loads(attrs), at))
        current = {
            str(cid): (json.loads(attrs), int(version))
            for cid, attrs, version in self.con.execute(
                f"SELECT canonical_id, attributes, version FROM {table} WHERE is_current "
                f"AND canonical_id IN ({id_list})"
            ).fetchall()
        }
        versions = {cid: current[cid][1] for cid in current}
        now = self.clock.now()
        rows: list[tuple[object, ...]] = []
        for cid in ids:
            if cid not in observed:
                continue
            attributes, sources = survive(self.config.survivorship, observed[cid])
            if cid in current and current[cid][0] == attributes:
                continue
            versions[cid] = versions.get(cid, 0) + 1
            name = attributes.get("name")
            rows.append(
                (
                    cid,
                    None if name is None else str(name),
                    json.dumps(attributes, sort_keys=True),
                    json.dumps(sources, sort_keys=True),
                    versions[cid],
                    now,
                    None,
                    True,
                )
            )
        if rows:
            changed = ", ".join(literal(r[0]) for r in rows)
            self.con.execute(
                f"UPDATE {table} SET is_current = FALSE, valid_to = ? WHERE is_current "
                f"AND canonical_id IN ({changed})",
                [now],
            )
            self.con.execute(f"INSERT INTO {table} VALUES {values_sql(rows)}")
        return versions

    # ---- resolving ---------------------------------------------------------------------------
    def resolve(
        self,
        entity: MasterEntity | str,
        system: str,
        code: str,
        name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Resolution:
        """The canonical id of one source code — or the steward-queue item that now holds it."""
        entity = MasterEntity(entity)
        return self._resolve(entity, system, code, name, attributes, self._context(entity))

    def resolve_codes(
        self,
        entity: MasterEntity | str,
        system: str,
        table: str,
        code_column: str,
        name_column: str | None = None,
        *,
        where: str | None = None,
    ) -> ResolveSummary:
        """Resolve every distinct code of ``table.code_column`` (match context loaded once).

        ``where`` (SQL, written by a data engineer) leaves rows out, e.g. test records flagged by cleaning.
        """
        entity = MasterEntity(entity)
        name_sql = f"any_value(CAST({ident(name_column)} AS VARCHAR))" if name_column else "NULL"
        rows = self.con.execute(
            f"SELECT CAST({ident(code_column)} AS VARCHAR) AS code, {name_sql}, count(*) FROM "
            f"{qualified(table)} WHERE {ident(code_column)} IS NOT NULL{f' AND ({where})' if where else ''} "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        context = self._context(entity)
        summary = ResolveSummary()
        for code, name, n in rows:
            resolution = self._resolve(entity, system, str(code), name, None, context)
            if resolution.item_id is not None:  # queued or rejected: the item counts the rows holding it
                self.con.execute(
                    "UPDATE steward_queue SET occurrences = ? WHERE item_id = ?", [int(n), resolution.item_id]
                )
            summary.resolutions.append(resolution)
        return summary

    def _resolve(
        self,
        entity: MasterEntity,
        system: str,
        code: str,
        name: str | None,
        attributes: Mapping[str, Any] | None,
        context: MatchContext,
    ) -> Resolution:
        if attributes is not None:
            self.observe(entity, system, code, {**({"name": name} if name else {}), **attributes})
        row = self.con.execute(
            f"SELECT canonical_id, match_rule, match_score FROM {crosswalk_table(entity)} "
            "WHERE is_current AND system = ? AND source_code = ?",
            [system, code],
        ).fetchone()
        if row is not None:
            if attributes is not None:
                self.refresh_golden(entity, str(row[0]))
            return Resolution(
                entity, system, code, ResolutionStatus.MATCHED, str(row[0]), MatchRule(row[1]), row[2]
            )
        item_id = steward_item_id(entity, system, code)
        status = item_status(self.con, item_id)
        if status is StewardStatus.REJECTED:
            count_again(self.con, item_id, self.clock.now())
            return Resolution(entity, system, code, ResolutionStatus.REJECTED, item_id=item_id)
        result = match_code(code, name, context, self.config.rules_for(entity))
        if result.outcome is Outcome.MATCHED and result.canonical_id is not None and result.rule is not None:
            self.map_code(entity, system, code, result.canonical_id, rule=result.rule, score=result.score)
            context.mapped_codes[code] = result.canonical_id
            if attributes is not None:
                self.refresh_golden(entity, result.canonical_id)
            if status is StewardStatus.OPEN:
                auto_close(
                    self.con, item_id, entity, system, code, result, actor=self.actor, now=self.clock.now()
                )
            return Resolution(
                entity, system, code, ResolutionStatus.MATCHED, result.canonical_id, result.rule, result.score
            )
        enqueue(self.con, item_id, entity, system, code, name, result, actor=self.actor, now=self.clock.now())
        return Resolution(entity, system, code, ResolutionStatus.QUEUED, item_id=item_id)
