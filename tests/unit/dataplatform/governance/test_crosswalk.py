"""The master-data crosswalk: match rules, survivorship, versioning and the steward queue."""

from __future__ import annotations

import duckdb
import pytest

from plantloop.dataplatform.governance import (
    Crosswalk,
    CrosswalkConfig,
    MasterEntity,
    MatchRules,
    ResolutionStatus,
    StewardQueue,
    SurvivorshipPolicy,
    load_crosswalk_config,
    seed_from_plant,
    shipped_config,
)
from plantloop.dataplatform.governance.crosswalk_matching import normalize_code
from plantloop.dataplatform.governance.crosswalk_store import MatchRule, StewardReason, StewardStatus
from plantloop.dataplatform.governance.errors import StewardItemClosed, UnknownCanonicalId
from plantloop.kernel.clock import FakeClock
from plantloop.mes.masterdata import PlantDefinition

EQ = MasterEntity.EQUIPMENT


@pytest.fixture
def crosswalk(
    con: duckdb.DuckDBPyConnection, clock: FakeClock, reference_plant: PlantDefinition
) -> Crosswalk:
    cw = Crosswalk(con, clock=clock)
    seed_from_plant(cw, reference_plant)
    return cw


def test_seeding_makes_every_plant_record_a_golden_record(
    crosswalk: Crosswalk, reference_plant: PlantDefinition
) -> None:
    count = crosswalk.con.execute("SELECT count(*) FROM dim_golden_equipment WHERE is_current").fetchone()
    assert count == (len(reference_plant.equipment),)
    golden = crosswalk.golden(EQ, "IM-01")
    assert golden is not None
    assert golden["attributes"]["line_id"] == "FAB"
    assert golden["sources"]["name"] == "plant"


def test_seeding_twice_creates_no_new_versions(
    crosswalk: Crosswalk, reference_plant: PlantDefinition
) -> None:
    seed_from_plant(crosswalk, reference_plant)
    assert crosswalk.con.execute("SELECT max(version) FROM dim_golden_material").fetchone() == (1,)
    assert crosswalk.con.execute("SELECT max(version) FROM dim_crosswalk_person").fetchone() == (1,)


def test_codes_normalize_across_case_whitespace_punctuation_and_leading_zeros() -> None:
    assert normalize_code(" im_01 ") == normalize_code("IM-1") == normalize_code("Im 001") == "im1"
    assert normalize_code("IM-01", strip_leading_zeros=False) == "im01"


@pytest.mark.parametrize(
    ("code", "name", "rule"),
    [
        ("IM-01", None, MatchRule.EXACT_CODE),
        ("im 1", None, MatchRule.NORMALIZED_CODE),
        ("INJ-3", "Injection molder 3", MatchRule.FUZZY_NAME),
    ],
)
def test_a_source_code_is_matched_by_the_first_rule_that_decides(
    crosswalk: Crosswalk, code: str, name: str | None, rule: MatchRule
) -> None:
    resolution = crosswalk.resolve(EQ, "legacy", code, name)
    assert resolution.status is ResolutionStatus.MATCHED
    assert resolution.rule is rule
    assert crosswalk.canonical_id(EQ, "legacy", code) == resolution.canonical_id


def test_an_alias_maps_a_code_that_no_other_rule_finds(crosswalk: Crosswalk) -> None:
    crosswalk.add_alias(EQ, "MOLD#A", "IM-02", actor="steward.li")
    resolution = crosswalk.resolve(EQ, "legacy", "mold a")
    assert (resolution.canonical_id, resolution.rule) == ("IM-02", MatchRule.ALIAS)


def test_a_fuzzy_name_below_the_threshold_does_not_match(
    con: duckdb.DuckDBPyConnection, clock: FakeClock, reference_plant: PlantDefinition
) -> None:
    strict = CrosswalkConfig(match={EQ: MatchRules(fuzzy_threshold=0.99)})
    cw = Crosswalk(con, config=strict, clock=clock)
    seed_from_plant(cw, reference_plant)
    assert cw.resolve(EQ, "legacy", "INJ-3", "Injection moulder no 3").status is ResolutionStatus.QUEUED


def test_an_unknown_code_goes_to_the_steward_queue_and_is_counted_again(crosswalk: Crosswalk) -> None:
    first = crosswalk.resolve(EQ, "legacy", "XX-99", "Mystery box")
    again = crosswalk.resolve(EQ, "legacy", "XX-99")
    assert first.status is again.status is ResolutionStatus.QUEUED
    [item] = StewardQueue(crosswalk).list_items()
    assert (item.source_code, item.reason, item.occurrences) == ("XX-99", StewardReason.NO_MATCH, 2)
    assert item.item_id == first.item_id


def test_a_name_close_to_several_records_is_queued_as_ambiguous_with_candidates(crosswalk: Crosswalk) -> None:
    resolution = crosswalk.resolve(EQ, "legacy", "M?", "Injection molder")
    assert resolution.status is ResolutionStatus.QUEUED
    item = StewardQueue(crosswalk).get(resolution.item_id or "")
    assert item.reason is StewardReason.AMBIGUOUS
    assert {c["canonical_id"] for c in item.candidates} == {"IM-01", "IM-02", "IM-03"}


def test_a_steward_resolution_maps_the_code_and_leaves_an_audit_record(
    crosswalk: Crosswalk, clock: FakeClock
) -> None:
    item_id = crosswalk.resolve(EQ, "legacy", "XX-99").item_id or ""
    queue = StewardQueue(crosswalk)
    clock.advance(60)
    version = queue.map_to(item_id, "PR-02", steward="steward.li", note="old press tag")
    assert version == 1
    assert crosswalk.resolve(EQ, "legacy", "XX-99").canonical_id == "PR-02"
    assert queue.get(item_id).status is StewardStatus.RESOLVED
    assert [a.action for a in queue.audit_trail(item_id)] == ["queued", "mapped"]
    assert queue.list_items() == []
    with pytest.raises(StewardItemClosed):
        queue.map_to(item_id, "PR-01", steward="steward.li")


def test_remapping_a_code_closes_the_old_version_and_opens_a_new_one(
    crosswalk: Crosswalk, clock: FakeClock
) -> None:
    crosswalk.resolve(EQ, "legacy", "IM01")
    clock.advance(3600)
    version = StewardQueue(crosswalk).remap(
        EQ, "legacy", "IM01", "IM-02", steward="steward.li", note="re-tagged"
    )
    history = crosswalk.mapping_history(EQ, "legacy", "IM01")
    assert version == 2
    assert [(h["canonical_id"], h["version"], h["is_current"]) for h in history] == [
        ("IM-01", 1, False),
        ("IM-02", 2, True),
    ]
    assert history[0]["valid_to"] == history[1]["valid_from"] == clock.now()


def test_mapping_to_an_unknown_canonical_id_is_refused(crosswalk: Crosswalk) -> None:
    item_id = crosswalk.resolve(EQ, "legacy", "XX-99").item_id or ""
    with pytest.raises(UnknownCanonicalId):
        StewardQueue(crosswalk).map_to(item_id, "NOPE", steward="s")


def test_a_steward_can_create_a_new_entity_for_an_unknown_code(crosswalk: Crosswalk) -> None:
    item_id = crosswalk.resolve(EQ, "legacy", "LAB-7", "Lab tester").item_id or ""
    StewardQueue(crosswalk).create_entity(item_id, "LAB-07", steward="s", attributes={"line_id": "QA"})
    golden = crosswalk.golden(EQ, "LAB-07")
    assert golden is not None and golden["attributes"] == {"line_id": "QA", "name": "Lab tester"}
    assert crosswalk.canonical_id(EQ, "legacy", "LAB-7") == "LAB-07"


def test_a_rejected_code_stays_visible_and_is_not_queued_again(crosswalk: Crosswalk) -> None:
    item_id = crosswalk.resolve(EQ, "legacy", "TEST").item_id or ""
    queue = StewardQueue(crosswalk)
    queue.reject(item_id, steward="s", note="test code")
    assert crosswalk.resolve(EQ, "legacy", "TEST").status is ResolutionStatus.REJECTED
    [item] = queue.list_items(status=StewardStatus.REJECTED)
    assert item.occurrences == 2 and item.note == "test code"


def test_survivorship_prefers_the_trusted_system_and_versions_changes(
    con: duckdb.DuckDBPyConnection, clock: FakeClock, reference_plant: PlantDefinition
) -> None:
    policy = SurvivorshipPolicy(
        system_priority={"plant": 0, "erp": 1, "legacy": 2}, attribute_rules={"lead_time_days": "recency"}
    )
    cw = Crosswalk(con, config=CrosswalkConfig(survivorship=policy), clock=clock)
    seed_from_plant(cw, reference_plant)
    clock.advance(10)
    cw.resolve(
        MasterEntity.SUPPLIER, "legacy", "SUP-HX", attributes={"name": "HX Plastic Co", "lead_time_days": 9}
    )
    golden = cw.golden(MasterEntity.SUPPLIER, "SUP-HX")
    assert golden is not None
    assert golden["attributes"]["name"] == "Huaxin Plastics"  # plant outranks legacy
    assert golden["attributes"]["lead_time_days"] == 9  # recency rule: the newest value
    assert golden["sources"] == {"lead_time_days": "legacy", "name": "plant"}
    assert golden["version"] == 2


def test_resolving_a_column_resolves_each_distinct_code_once(crosswalk: Crosswalk) -> None:
    crosswalk.con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('IM-01'), ('IM-01'), ('im2'), ('ZZ'), (NULL)) v(c)"
    )
    summary = crosswalk.resolve_codes(EQ, "legacy", "t", "c")
    assert len(summary.resolutions) == 3
    assert summary.count(ResolutionStatus.MATCHED) == 2
    assert summary.count(ResolutionStatus.QUEUED) == 1


def test_a_queued_code_that_a_new_alias_matches_leaves_the_queue_with_an_audit_record(
    crosswalk: Crosswalk,
) -> None:
    item_id = crosswalk.resolve(EQ, "legacy", "MOLDER#7").item_id or ""
    crosswalk.add_alias(EQ, "molder 7", "IM-03", actor="steward.li")
    resolution = crosswalk.resolve(EQ, "legacy", "MOLDER#7")
    assert (resolution.canonical_id, resolution.rule) == ("IM-03", MatchRule.ALIAS)
    queue = StewardQueue(crosswalk)
    assert queue.get(item_id).status is StewardStatus.RESOLVED
    assert [a.action for a in queue.audit_trail(item_id)] == ["queued", "auto_matched"]


def test_the_shipped_crosswalk_config_never_matches_people_by_name() -> None:
    config = load_crosswalk_config(shipped_config("crosswalk.yaml"))
    assert config.rules_for(MasterEntity.PERSON).fuzzy_name is False
    assert config.survivorship.rank("plant") < config.survivorship.rank("legacy")
