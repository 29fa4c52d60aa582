"""Quarantine: listed with reasons, replayed after a fix; passing rows land, the rest stay."""

from __future__ import annotations

import json

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.collect.contracts import SourceKind
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.collect.parsers import replay_parsers
from plantloop.collect.quarantine import list_quarantine, replay
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from tests.unit.collect.conftest import T0

NEW_MACHINE = "ACME/SZ01/A-FAB/FAB/FAB-MOLD/IM-04"


def _land_with_unknown_machine(landing: Landing, resolver: UnsResolver) -> None:
    resolver.paths["IM-04"] = NEW_MACHINE
    batch = CandidateBatch(parser=PARSER)
    good = json.dumps({"ts": T0.isoformat(), "value": 1.5}).encode()
    parse_uns(batch, resolver, "mqtt:uns", "ACME/SZ01/A-FAB/FAB/IM-04/telemetry/temperature_c", good, T0)
    parse_uns(batch, resolver, "mqtt:uns", "ACME/SZ01/A-FAB/FAB/IM-01/telemetry/temperature_c", b"{no", T0)
    landing.land(batch, source="mqtt:uns", kind=SourceKind.MQTT)


def test_quarantined_records_are_listed_with_reason_message_and_raw_preview(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    _land_with_unknown_machine(landing, resolver)
    records = list_quarantine(store)
    assert [r.reason for r in records] == ["unknown_equipment", "malformed"]
    assert records[1].preview == "{no"
    assert "IM-04" in (records[0].message or "")


def test_replay_after_adding_the_machine_lands_it_and_leaves_the_broken_record(
    landing: Landing, store: OdsStore, resolver: UnsResolver, reference_plant: PlantDefinition
) -> None:
    _land_with_unknown_machine(landing, resolver)
    parsers = replay_parsers(reference_plant)
    parsers[PARSER] = lambda b, s, k, raw, q: parse_uns(b, resolver, s, k or "", raw, T0, q)
    store.set_known_equipment([*reference_plant.equipment_paths.values(), NEW_MACHINE])
    results = replay(landing, parsers)
    assert (results["mqtt:uns"].released, results["mqtt:uns"].quarantined) == (1, 1)
    assert store.query("SELECT equipment_path FROM ods_mqtt__telemetry") == [(NEW_MACHINE,)]
    assert [r.reason for r in list_quarantine(store)] == ["malformed"]
    assert [r.status for r in list_quarantine(store, status=None)] == ["released", "open"]
    (status,) = source_status(store)
    assert (status.offered, status.landed, status.quarantined, status.released) == (2, 1, 1, 1)
    assert status.reconciles


def test_replaying_twice_lands_nothing_twice(
    landing: Landing, store: OdsStore, resolver: UnsResolver, reference_plant: PlantDefinition
) -> None:
    _land_with_unknown_machine(landing, resolver)
    parsers = replay_parsers(reference_plant)
    parsers[PARSER] = lambda b, s, k, raw, q: parse_uns(b, resolver, s, k or "", raw, T0, q)
    store.set_known_equipment([*reference_plant.equipment_paths.values(), NEW_MACHINE])
    replay(landing, parsers)
    again = replay(landing, parsers)
    assert again["mqtt:uns"].released == 0
    assert store.query("SELECT count(*) FROM ods_mqtt__telemetry") == [(1,)]
