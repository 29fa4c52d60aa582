"""The HTTP API: authentication on every route but health, errors as 4xx JSON, the operator flow."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from plantloop.api.deps import require
from plantloop.api.main import create_app
from plantloop.bootstrap import Container
from plantloop.mes.outbox import OutboxRecord, RecordingSubscriber
from tests.unit.api.conftest import ANN, demo

ADMIN, OPERATOR, VIEWER = demo("admin"), demo("operator"), demo("viewer")
DUE = "2026-01-09T12:00:00Z"


def _sample(**fields: object) -> dict[str, object]:
    sample = {"equipment_id": "IM-01", "tag": "current_a", "value": 1.0, "measured_at": DUE} | fields
    return {"samples": [sample]}


def _create(client: TestClient, wo: str = "WO-1") -> list[str]:
    r = client.post(
        "/api/v1/work-orders",
        json={"work_order_id": wo, "material_id": "P-KET-01", "qty": 3, "due_at": DUE},
        auth=ADMIN,
    )
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["ids"]
    return ids


def test_health_needs_no_authentication(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_every_other_route_requires_authentication(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    routes = [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if p != "/health"]
    assert len(routes) > 30
    for method, template in routes:
        path = re.sub(r"\{[^}]+\}", "x", template)
        r = client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"] == "unauthenticated" and r.headers["www-authenticate"]


def test_wrong_passwords_and_bad_tokens_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/work-orders", auth=("ann", "wrong")).status_code == 401
    assert client.get("/api/v1/work-orders", auth=("nobody", "demo")).status_code == 401
    r = client.get("/api/v1/work-orders", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "token" in r.json()["message"]


def test_configured_users_get_tokens_and_their_roles_decide(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", auth=ANN)
    assert r.status_code == 200 and r.json()["roles"] == ["planner"] and r.json()["demo"] is False
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/work-orders", headers=bearer).status_code == 200
    body = {"work_order_id": "WO-A", "material_id": "P-KET-01", "qty": 1, "due_at": DUE}
    assert client.post("/api/v1/work-orders", json=body, headers=bearer).status_code == 201
    r = client.post("/api/v1/lots/LOT-WO-A/hold", json={"reason": "x"}, headers=bearer)
    assert r.status_code == 403 and r.json()["error"] == "permission_denied"


def test_demo_users_exist_only_in_demo_mode(container: Container) -> None:
    assert demo("admin")[0] == "admin"
    with TestClient(create_app(container)) as c:
        assert c.get("/api/v1/auth/me", auth=ADMIN).json()["demo"] is True
    container.settings.demo = False
    with TestClient(create_app(container)) as c:
        assert c.get("/api/v1/auth/me", auth=ADMIN).status_code == 401


def test_a_viewer_may_read_but_not_act(client: TestClient) -> None:
    assert client.get("/api/v1/equipment", auth=VIEWER).status_code == 200
    r = client.post("/api/v1/equipment/PR-01/downtime/start", json={"reason_code": "BRK"}, auth=VIEWER)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/api/v1/work-orders/nope", None, 404, "unknown_work_order"),
        ("GET", "/api/v1/lots/nope/genealogy", None, 404, "unknown_lot"),
        ("GET", "/api/v1/dispatch/NO-WC", None, 404, "unknown_work_center"),
        ("GET", "/api/v1/operations/x", None, 404, "unknown_operation"),
        (
            "POST",
            "/api/v1/work-orders",
            {"work_order_id": "W", "material_id": "NOPE", "qty": 1, "due_at": DUE},
            422,
            "unknown_material",
        ),
        (
            "POST",
            "/api/v1/work-orders",
            {"work_order_id": "W", "material_id": "P-KET-01", "qty": -1, "due_at": DUE},
            422,
            "invalid_input",
        ),
        ("POST", "/api/v1/work-orders", {"work_order_id": "W"}, 422, "invalid_input"),
        ("POST", "/api/v1/work-orders/WO-1/release", {}, 409, "invalid_transition"),
        ("POST", "/api/v1/equipment/PR-01/downtime/end", {}, 409, "invalid_transition"),
        ("POST", "/api/v1/equipment/PR-01/state", {"state": "flying"}, 422, "invalid_input"),
        ("GET", "/api/v1/work-orders?limit=0", None, 422, "invalid_input"),
        ("GET", "/api/v1/work-orders?offset=99999999999999999999", None, 422, "invalid_input"),  # was a 500
        ("GET", "/api/v1/events?after_seq=99999999999999999999", None, 422, "invalid_input"),
        ("PATCH", "/api/v1/work-orders/WO-1", {"due_at": "9999-12-31T23:00:00Z"}, 422, "invalid_input"),
        # a sensor clock at year 9999 and a reading of 1e308 once made the telemetry feed a 500
        (
            "POST",
            "/api/v1/equipment-health/telemetry",
            _sample(measured_at="9999-12-31T00:00:00Z"),
            422,
            "invalid_input",
        ),
        ("POST", "/api/v1/equipment-health/telemetry", _sample(value=1e308), 422, "invalid_input"),
    ],
)
def test_errors_are_4xx_json_with_a_message(
    client: TestClient, method: str, path: str, body: object, status: int, error: str
) -> None:
    _create(client)
    client.post("/api/v1/work-orders/WO-1/release", auth=ADMIN)
    r = client.request(method, path, json=body, auth=ADMIN)
    assert r.status_code == status, r.text
    assert r.json()["error"] == error and r.json()["message"]


def test_a_bulk_body_full_of_errors_gets_a_short_answer_that_counts_them(client: TestClient) -> None:
    samples = _sample(value=1e308)["samples"] * 1000  # type: ignore[operator]
    r = client.post("/api/v1/equipment-health/telemetry", json={"samples": samples}, auth=ADMIN)
    assert r.status_code == 422 and r.json()["error_count"] == 1000
    assert len(r.json()["details"]) == 100 and r.json()["message"].endswith("; and 995 more")
    assert len(r.content) < 20_000


def test_malformed_json_is_a_client_error_not_a_crash(client: TestClient) -> None:
    r = client.post(
        "/api/v1/work-orders",
        content=b'{"work_order_id": ',
        headers={"Content-Type": "application/json"},
        auth=ADMIN,
    )
    assert r.status_code == 422 and r.json()["error"] == "malformed_json" and r.json()["message"]


def test_an_operator_runs_an_order_through_the_api(client: TestClient) -> None:
    ids = _create(client)
    assert ids == ["WO-1", "WO-1~SA-KBODY"]
    assert client.post("/api/v1/work-orders/WO-1/release", auth=ADMIN).json()["ids"] == ids
    items = client.get("/api/v1/dispatch/FAB-PRESS", auth=OPERATOR).json()["items"]
    assert [i["operation_id"] for i in items] == ["WO-1~SA-KBODY/010"]
    r = client.post(
        "/api/v1/lots",
        json={"lot_id": "ST-1", "material_id": "RM-SS304", "supplier_id": "SUP-SS", "qty": 10},
        auth=ADMIN,
    )
    assert r.status_code == 201
    op = "WO-1~SA-KBODY/010"
    assert (
        client.post(
            f"/api/v1/operations/{op}/start", json={"equipment_id": "PR-01"}, auth=OPERATOR
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/operations/{op}/consume", json={"lot_id": "ST-1", "qty": 1.8}, auth=OPERATOR
        ).status_code
        == 200
    )
    r = client.post(
        f"/api/v1/operations/{op}/complete",
        json={"qty_good": 3, "parameters": {"press_force_kn": 401}},
        auth=OPERATOR,
    )
    assert r.status_code == 200
    assert client.get(f"/api/v1/operations/{op}", auth=VIEWER).json()["status"] == "completed"
    trace = client.get("/api/v1/lots/ST-1/genealogy?direction=forward", auth=VIEWER).json()
    assert [link["produced_lot_id"] for link in trace["links"]] == ["LOT-WO-1~SA-KBODY"]
    page = client.get("/api/v1/events?type=OperationCompleted", auth=VIEWER).json()
    assert [e["event"]["payload"]["parameters"] for e in page["items"]] == [{"press_force_kn": 401.0}]
    first = client.get("/api/v1/events?limit=2", auth=VIEWER).json()
    second = client.get(f"/api/v1/events?limit=2&after_seq={first['next_after_seq']}", auth=VIEWER).json()
    assert [e["seq"] for e in first["items"]] == [1, 2] and second["items"][0]["seq"] == 3
    wo = client.get("/api/v1/work-orders/WO-1~SA-KBODY", auth=VIEWER).json()
    assert wo["status"] == "in_progress" and wo["operations"][1]["status"] == "ready"


def test_dispatch_lists_are_published_and_idempotent(client: TestClient) -> None:
    _create(client)
    client.post("/api/v1/work-orders/WO-1/release", auth=ADMIN)
    body = {
        "schedule_version": "S1",
        "entries": [{"operation_id": "WO-1/010", "work_center_id": "L2-ASSY", "position": 0}],
    }
    assert client.post("/api/v1/dispatch", json=body, auth=VIEWER).status_code == 403
    assert client.post("/api/v1/dispatch", json=body, auth=ANN).json()["work_center_ids"] == ["L2-ASSY"]
    assert client.post("/api/v1/dispatch", json=body, auth=ANN).json()["work_center_ids"] == []
    listing = client.get("/api/v1/dispatch/L2-ASSY", auth=VIEWER).json()
    assert listing["schedule_version"] == "S1" and listing["items"][0]["published"] is True


def test_maintenance_and_master_data_routes(client: TestClient) -> None:
    body = {"maintenance_order_id": "MO-1", "equipment_id": "IM-01", "kind": "preventive"}
    assert client.post("/api/v1/maintenance-orders", json=body, auth=demo("maintenance")).status_code == 201
    assert (
        client.post("/api/v1/maintenance-orders/MO-1/start", json={}, auth=demo("maintenance")).status_code
        == 200
    )
    assert client.get("/api/v1/equipment/IM-01", auth=VIEWER).json()["state"] == "maintenance"
    assert client.get("/api/v1/maintenance-orders/MO-1", auth=VIEWER).json()["status"] == "in_progress"
    plant = client.get("/api/v1/masterdata/plant", auth=VIEWER).json()
    assert plant["enterprise"]["id"] == "ACME"
    assert (
        client.get("/api/v1/masterdata/materials/P-KET-01/routing", auth=VIEWER).json()["material_id"]
        == "P-KET-01"
    )
    assert client.get("/api/v1/masterdata/materials/RM-PP/routing", auth=VIEWER).status_code == 404
    paths = client.get("/api/v1/masterdata/equipment-paths", auth=VIEWER).json()
    assert paths["IM-01"].endswith("/FAB-MOLD/IM-01")


def test_the_status_page_shows_the_plant(client: TestClient) -> None:
    _create(client)
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/status"  # no web UI mounted here
    r = client.get("/status", auth=VIEWER)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert (
        "Suzhou" in r.text and "created" in r.text and "IM-01" in r.text and 'http-equiv="refresh"' in r.text
    )
    assert "Event delivery failing" not in r.text


def test_the_status_page_says_when_a_subscriber_keeps_failing(
    client: TestClient, container: Container
) -> None:
    class Broken(RecordingSubscriber):
        def handle(self, records: list[OutboxRecord]) -> None:
            raise ValueError("cannot read this event")

    container.relay.subscribe(Broken("live-view"))
    _create(client)
    with pytest.raises(ValueError):
        container.relay.drain()  # (the app's background relay may try it too)
    page = client.get("/status", auth=VIEWER).text
    assert "Event delivery failing" in page and re.search(r"live-view \(\d+ failed tries\)", page)


def test_openapi_is_generated_with_route_descriptions(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/dispatch/{work_center_id}" in spec["paths"]
    op = spec["paths"]["/api/v1/work-orders"]["post"]
    assert op["description"].startswith("Create a work order")


def test_extra_routers_are_mounted_and_authorized(container: Container) -> None:
    extra = APIRouter(prefix="/ingest", tags=["ingest"])

    @extra.get("/ping", dependencies=[require("ingest")])
    def ping() -> dict[str, str]:
        """Ping."""
        return {"pong": "yes"}

    with TestClient(create_app(container, extra_routers=[extra])) as c:
        assert c.get("/api/v1/ingest/ping").status_code == 401
        assert c.get("/api/v1/ingest/ping", auth=VIEWER).status_code == 403
        assert c.get("/api/v1/ingest/ping", auth=demo("integrator")).json() == {"pong": "yes"}
