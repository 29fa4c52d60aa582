"""REST push through the real app: idempotent retries, 413 for oversize, 4xx with reasons, never 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.api.routes.ingest import build_ingest_router
from plantloop.bootstrap import build_in_memory_container
from plantloop.collect.service import CollectService
from plantloop.dataplatform.ingest import OdsStore
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition

PUSHER = ("integrator", "demo")  # demo users exist in demo mode only


@pytest.fixture
def client(store: OdsStore, reference_plant: PlantDefinition) -> Iterator[TestClient]:
    container = build_in_memory_container(Settings(demo=True), plant=reference_plant)
    service = CollectService(container.settings, reference_plant, store=store)
    app = create_app(container, extra_routers=[build_ingest_router(service)], run_relay=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _events(n: int, start: int = 0) -> dict[str, object]:
    return {
        "events": [
            {
                "type": "LotReceived",
                "occurred_at": "2026-01-05T06:00:00Z",
                "key": [f"L-{i}"],
                "payload": {"qty": i},
            }
            for i in range(start, start + n)
        ]
    }


def _post(client: TestClient, body: bytes | str, key: str | None = None) -> object:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/ingest/erp1/events", content=body, headers=headers, auth=PUSHER)


def test_a_retried_batch_with_the_same_idempotency_key_is_not_doubled(
    client: TestClient, store: OdsStore
) -> None:
    body = json.dumps(_events(3))
    first, retry = _post(client, body, "k-1"), _post(client, body, "k-1")
    assert first.status_code == retry.status_code == 200  # type: ignore[attr-defined]
    assert retry.json() == first.json()  # type: ignore[attr-defined]
    assert retry.headers["Idempotent-Replayed"] == "true"  # type: ignore[attr-defined]
    assert store.query("SELECT count(*) FROM ods_rest__events") == [(3,)]


def test_a_retry_without_a_key_is_not_doubled_either_because_event_ids_come_from_the_client_keys(
    client: TestClient, store: OdsStore
) -> None:
    body = json.dumps(_events(4))
    assert _post(client, body).json()["landed"] == 4  # type: ignore[attr-defined]
    again = _post(client, body).json()  # type: ignore[attr-defined]
    assert (again["landed"], again["duplicates"]) == (0, 4)
    assert store.query("SELECT count(*) FROM ods_rest__events") == [(4,)]


def test_the_same_key_with_another_body_is_a_conflict(client: TestClient) -> None:
    assert _post(client, json.dumps(_events(1)), "k-2").status_code == 200  # type: ignore[attr-defined]
    reused = _post(client, json.dumps(_events(2)), "k-2")
    assert reused.status_code == 409  # type: ignore[attr-defined]
    assert reused.json()["error"] == "idempotency_key_reused"  # type: ignore[attr-defined]


def test_bad_events_are_listed_with_their_index_and_reason_and_good_ones_land(
    client: TestClient, store: OdsStore
) -> None:
    body = _events(2)
    body["events"].insert(1, {"type": "LotReceived", "key": "x"})  # type: ignore[attr-defined]
    response = _post(client, json.dumps(body)).json()  # type: ignore[attr-defined]
    assert (response["landed"], response["quarantined"]) == (2, 1)
    assert response["rejected"] == [
        {"index": 1, "reason": "missing_field", "message": "event field 'occurred_at' missing"}
    ]


def test_an_oversized_body_is_refused_with_413_before_it_is_read(client: TestClient) -> None:
    huge = b'{"events": ["' + b"x" * (6 * 1024 * 1024) + b'"]}'
    response = _post(client, huge)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["reason"] == "oversized"  # type: ignore[attr-defined]


def test_pushing_needs_the_ingest_permission(client: TestClient) -> None:
    body = json.dumps(_events(1))
    anonymous = client.post("/api/v1/ingest/erp1/events", content=body)
    viewer = client.post("/api/v1/ingest/erp1/events", content=body, auth=("viewer", "demo"))
    assert (anonymous.status_code, viewer.status_code) == (401, 403)


def test_an_unknown_entity_is_404_and_an_invalid_source_name_422(client: TestClient) -> None:
    body = json.dumps(_events(1))
    unknown = client.post("/api/v1/ingest/erp1/nope", content=body, auth=PUSHER)
    bad_name = client.post("/api/v1/ingest/..%2Fetc/events", content=body, auth=PUSHER)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_entity"
    assert bad_name.status_code in (404, 422)


def test_the_status_route_shows_the_ledger_per_source(client: TestClient) -> None:
    _post(client, json.dumps(_events(5)))
    status = client.get("/api/v1/ingest/status", auth=("viewer", "demo")).json()
    assert status["sources"]["rest:erp1"]["offered"] == 5
    assert status["sources"]["rest:erp1"]["reconciles"] is True


def test_quarantine_can_be_listed_read_discarded_and_replayed_over_http(client: TestClient) -> None:
    body = _events(1)
    body["events"] += [{"type": "LotReceived", "occurred_at": "soon", "key": "b"}, 7]  # type: ignore[operator]
    _post(client, json.dumps(body))
    steward = ("analyst", "demo")
    page = client.get("/api/v1/ingest/quarantine", auth=steward).json()
    assert page["total"] == 2 and [r["reason"] for r in page["items"]] == ["bad_timestamp", "wrong_type"]
    first, second = (r["quarantine_id"] for r in page["items"])
    detail = client.get(f"/api/v1/ingest/quarantine/{first}", auth=steward).json()
    assert json.loads(detail["raw_text"])["occurred_at"] == "soon"
    discarded = client.post(
        "/api/v1/ingest/quarantine/discard", json={"ids": [second], "note": "junk"}, auth=steward
    )
    assert discarded.json() == {"discarded": 1}
    again = client.post(
        "/api/v1/ingest/quarantine/discard", json={"ids": [second], "note": "junk"}, auth=steward
    )
    assert again.status_code == 409
    replay = client.post("/api/v1/ingest/quarantine/replay", json={}, auth=steward).json()
    assert (replay["released"], replay["still_open"]) == (0, 1)
    assert client.get("/api/v1/ingest/quarantine/999999", auth=steward).status_code == 404
    assert client.get("/api/v1/ingest/quarantine", auth=PUSHER).status_code == 403
    summary = client.get("/api/v1/ingest/quarantine/summary", auth=steward).json()
    assert {(g["reason"], g["status"]) for g in summary} == {
        ("bad_timestamp", "open"),
        ("wrong_type", "discarded"),
    }
