"""REST push: idempotent retries, 413 for oversize, 4xx with reasons, never 500."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plantloop.api.routes.ingest import ingest_router
from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition


@pytest.fixture
def client(landing: Landing, reference_plant: PlantDefinition) -> TestClient:
    app = FastAPI()
    app.include_router(
        ingest_router(RestIngest(landing, equipment_paths=dict(reference_plant.equipment_paths)))
    )
    return TestClient(app, raise_server_exceptions=False)


def _events(n: int) -> dict[str, object]:
    return {
        "events": [
            {
                "type": "LotReceived",
                "occurred_at": "2026-01-05T06:00:00Z",
                "key": [f"L-{i}"],
                "payload": {"qty": i},
            }
            for i in range(n)
        ]
    }


def test_a_retried_batch_with_the_same_idempotency_key_is_not_doubled(
    client: TestClient, store: OdsStore
) -> None:
    body = json.dumps(_events(3))
    first = client.post("/ingest/erp1/events", content=body, headers={"Idempotency-Key": "k-1"})
    retry = client.post("/ingest/erp1/events", content=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert store.query("SELECT count(*) FROM ods_rest__events") == [(3,)]


def test_a_retry_without_a_key_is_not_doubled_either_because_ids_come_from_the_event_keys(
    client: TestClient, store: OdsStore
) -> None:
    client.post("/ingest/erp1/events", json=_events(3))
    again = client.post("/ingest/erp1/events", json=_events(3)).json()
    assert (again["landed"], again["duplicates"]) == (0, 3)
    assert store.query("SELECT count(*) FROM ods_rest__events") == [(3,)]


def test_reusing_an_idempotency_key_for_another_body_is_a_conflict(client: TestClient) -> None:
    client.post("/ingest/erp1/events", json=_events(1), headers={"Idempotency-Key": "k-2"})
    response = client.post("/ingest/erp1/events", json=_events(2), headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 409
    assert response.json()["reason"] == "idempotency_key_reused"


def test_an_oversized_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/ingest/erp1/events", content=b"x" * (6 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["reason"] == "oversized"


def test_bad_events_are_quarantined_and_named_in_the_response(client: TestClient) -> None:
    body = _events(2)
    body["events"].append({"type": "lot received", "occurred_at": "x", "key": "k"})  # type: ignore[attr-defined]
    body["events"].append(
        {
            "type": "LotReceived",
            "occurred_at": "2026-01-05T06:00:00Z",
            "key": "k",  # type: ignore[attr-defined]
            "equipment_id": "NOPE",
        }
    )
    response = client.post("/ingest/erp1/events", json=body).json()
    assert (response["landed"], response["quarantined"]) == (2, 2)
    assert [(r["index"], r["reason"]) for r in response["rejected"]] == [
        (2, "invalid_value"),
        (3, "unknown_equipment"),
    ]


def test_an_unknown_entity_is_404_and_a_broken_body_is_400_with_a_reason(client: TestClient) -> None:
    assert client.post("/ingest/erp1/nothing", json=_events(1)).status_code == 404
    broken = client.post("/ingest/erp1/events", content=b"{")
    assert broken.status_code == 400
    assert broken.json()["reason"] == "malformed"


def test_the_status_route_reports_the_ledger_per_source(client: TestClient) -> None:
    client.post("/ingest/erp1/events", json=_events(2))
    (status,) = client.get("/ingest/status").json()
    assert (status["source"], status["offered"], status["landed"], status["reconciles"]) == (
        "rest:erp1",
        2,
        2,
        True,
    )
