"""≥ 200 malformed inputs across MQTT, REST and CSV: each quarantined or refused with a reason, none lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plantloop.api.errors import status_of
from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.files import import_file
from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import InvalidSourceInput, QuarantineReason
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import source_status
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from tests.unit.collect.conftest import T0
from tests.unit.collect.corpus import csv_bad_rows, mqtt_cases, rest_bad_bodies, rest_bad_events

REASONS = {r.value for r in QuarantineReason}


def test_the_corpus_has_at_least_200_malformed_inputs() -> None:
    total = len(mqtt_cases()) + len(rest_bad_events()) + len(rest_bad_bodies()) + len(csv_bad_rows())
    assert total >= 200


def test_every_malformed_mqtt_message_is_quarantined_with_a_reason(
    landing: Landing, store: OdsStore, resolver: UnsResolver
) -> None:
    cases = mqtt_cases()
    batch = CandidateBatch(parser=PARSER)
    for case in cases:
        parse_uns(batch, resolver, "mqtt:corpus", case.topic, case.payload, T0)
    result = landing.land(batch, source="mqtt:corpus", kind=SourceKind.MQTT, want_rows=True)
    outcomes = {cases[r.row_no].name: (r.outcome, r.reason) for r in result.rows}
    assert {name: o for name, o in outcomes.items() if o[0] != "quarantined" or o[1] not in REASONS} == {}
    (status,) = source_status(store)
    assert (status.offered, status.quarantined, status.landed) == (len(cases), len(cases), 0)
    assert store.query("SELECT count(*) FROM ingest_quarantine WHERE reason IS NULL OR message IS NULL") == [
        (0,)
    ]


def test_every_malformed_rest_event_is_quarantined_and_every_malformed_body_refused(
    landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    rest = RestIngest(landing, equipment_paths=dict(reference_plant.equipment_paths))
    events = rest_bad_events()
    body, _ = rest.push("corpus", "events", json.dumps({"events": events}).encode())
    assert (body["landed"], body["quarantined"]) == (0, len(events))
    assert {r["reason"] for r in body["rejected"]} <= REASONS
    for raw, status in rest_bad_bodies():
        with pytest.raises(InvalidSourceInput) as refused:
            rest.push("corpus", "events", raw)
        assert (status_of(refused.value), refused.value.details.get("reason") in REASONS) == (status, True)
    (ledger,) = source_status(store)
    assert ledger.offered == ledger.quarantined == len(events)


def test_every_malformed_csv_row_is_quarantined_and_reported_by_line(
    tmp_path: Path, landing: Landing, store: OdsStore
) -> None:
    rows = csv_bad_rows()
    path = tmp_path / "orders.csv"
    path.write_bytes(b"order_no,material_id,qty,due_at\n" + b"\n".join(rows) + b"\n")
    report = import_file(path, "erp_orders", landing, source="files:corpus")
    assert len(report.rows) == len(rows)
    assert {(r.outcome, r.reason in REASONS) for r in report.rows} == {("quarantined", True)}
    assert [r.row_number for r in report.rows] == list(range(2, len(rows) + 2))
    (ledger,) = source_status(store)
    assert ledger.offered == ledger.quarantined == len(rows)
