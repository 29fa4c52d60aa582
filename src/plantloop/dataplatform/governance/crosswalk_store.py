"""Tables of the master-data crosswalk and the steward queue, and the SQL other rooms read them with.

One pair of tables per master entity, SCD type 2 (every change a new version, ``valid_from``/``valid_to``,
``is_current``)::

    dim_crosswalk_<entity>  (system, source_code) → canonical_id, with the match rule and score
    dim_golden_<entity>     canonical_id → surviving attributes (JSON) and which system gave each

beside ``crosswalk_alias`` (steward-maintained aliases), ``crosswalk_observation`` (the attributes each
system last offered for a code, input to survivorship), ``steward_queue`` and ``steward_audit``.
"""

from __future__ import annotations

from enum import StrEnum

import duckdb

from plantloop.dataplatform.governance.sql_text import literal


class MasterEntity(StrEnum):
    EQUIPMENT = "equipment"
    MATERIAL = "material"
    PERSON = "person"
    SUPPLIER = "supplier"


class MatchRule(StrEnum):
    """How a source code got its canonical id (stored on every crosswalk row)."""

    GOLDEN = "golden"
    EXACT_CODE = "exact_code"
    NORMALIZED_CODE = "normalized_code"
    ALIAS = "alias"
    FUZZY_NAME = "fuzzy_name"
    STEWARD = "steward"


class StewardStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class StewardReason(StrEnum):
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"


def crosswalk_table(entity: MasterEntity | str) -> str:
    return f"dim_crosswalk_{MasterEntity(entity).value}"


def golden_table(entity: MasterEntity | str) -> str:
    return f"dim_golden_{MasterEntity(entity).value}"


def create_crosswalk_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every crosswalk table that does not exist yet (idempotent)."""
    for entity in MasterEntity:
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {crosswalk_table(entity)} (
              system VARCHAR NOT NULL, source_code VARCHAR NOT NULL, normalized_code VARCHAR NOT NULL,
              canonical_id VARCHAR NOT NULL, match_rule VARCHAR NOT NULL, match_score DOUBLE,
              version INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL, valid_to TIMESTAMPTZ,
              is_current BOOLEAN NOT NULL, changed_by VARCHAR NOT NULL, change_reason VARCHAR)"""
        )
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {golden_table(entity)} (
              canonical_id VARCHAR NOT NULL, name VARCHAR, attributes VARCHAR NOT NULL,
              attribute_sources VARCHAR NOT NULL, version INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL,
              valid_to TIMESTAMPTZ, is_current BOOLEAN NOT NULL)"""
        )
    con.execute(
        """CREATE TABLE IF NOT EXISTS crosswalk_alias (
          entity VARCHAR NOT NULL, alias VARCHAR NOT NULL, normalized_alias VARCHAR NOT NULL,
          canonical_id VARCHAR NOT NULL, created_by VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS crosswalk_observation (
          entity VARCHAR NOT NULL, system VARCHAR NOT NULL, source_code VARCHAR NOT NULL,
          attributes VARCHAR NOT NULL, observed_at TIMESTAMPTZ NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS steward_queue (
          item_id VARCHAR PRIMARY KEY, entity VARCHAR NOT NULL, system VARCHAR NOT NULL,
          source_code VARCHAR NOT NULL, source_name VARCHAR, reason VARCHAR NOT NULL, candidates VARCHAR,
          status VARCHAR NOT NULL, occurrences BIGINT NOT NULL, first_seen_at TIMESTAMPTZ NOT NULL,
          last_seen_at TIMESTAMPTZ NOT NULL, resolved_at TIMESTAMPTZ, resolved_by VARCHAR,
          canonical_id VARCHAR, note VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS steward_audit (
          audit_id VARCHAR PRIMARY KEY, item_id VARCHAR, entity VARCHAR NOT NULL, action VARCHAR NOT NULL,
          actor VARCHAR NOT NULL, acted_at TIMESTAMPTZ NOT NULL, system VARCHAR, source_code VARCHAR,
          canonical_id VARCHAR, previous_canonical_id VARCHAR, note VARCHAR)"""
    )


def current_mapping_sql(entity: MasterEntity | str, system: str | None = None) -> str:
    """SELECT of the current (system, source_code, canonical_id) rows — what a DWD model joins on."""
    where = "is_current" + (f" AND system = {literal(system)}" if system is not None else "")
    return f"SELECT system, source_code, canonical_id FROM {crosswalk_table(entity)} WHERE {where}"


def reference_codes_sql(entity: MasterEntity | str, system: str | None = None) -> str:
    """SELECT of the valid codes (one column ``code``): a system's mapped source codes, or canonical ids."""
    if system is None:
        return f"SELECT canonical_id AS code FROM {golden_table(entity)} WHERE is_current"
    return f"SELECT source_code AS code FROM ({current_mapping_sql(entity, system)})"
