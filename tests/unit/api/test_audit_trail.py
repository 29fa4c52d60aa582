"""Every API write lands in the audit trail with its actor, route and outcome — refused ones too."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plantloop.bootstrap import Container
from tests.unit.api.conftest import demo

ADMIN, VIEWER = demo("admin"), demo("viewer")
DUE = "2026-01-09T12:00:00Z"


def _writes(container: Container) -> list[tuple[str, str, str, str, object]]:
    return [
        (e.actor, e.action, e.target, e.outcome, e.details.get("route"))
        for e in reversed(container.audit.entries())  # newest first
        if e.action.startswith("http.")
    ]


def test_writes_are_audited_with_actor_route_and_outcome(client: TestClient, container: Container) -> None:
    body = {"work_order_id": "WO-AUD", "material_id": "P-KET-01", "qty": 2, "due_at": DUE}
    assert client.post("/api/v1/work-orders", json=body, auth=ADMIN).status_code == 201
    assert client.post("/api/v1/work-orders", json=body, auth=VIEWER).status_code == 403
    assert client.post("/api/v1/work-orders/WO-AUD/release", auth=ADMIN).status_code in (200, 202)
    assert client.post("/api/v1/work-orders", json={"qty": -1}, auth=ADMIN).status_code == 422
    assert client.post("/api/v1/work-orders", json=body).status_code == 401
    client.get("/api/v1/work-orders", auth=ADMIN)  # reads are not audited here
    writes = _writes(container)
    assert writes == [
        ("admin", "http.post", "/api/v1/work-orders", "ok", "/api/v1/work-orders"),
        ("viewer", "http.post", "/api/v1/work-orders", "refused", "/api/v1/work-orders"),
        (
            "admin",
            "http.post",
            "/api/v1/work-orders/WO-AUD/release",
            "ok",
            "/api/v1/work-orders/{work_order_id}/release",
        ),
        ("admin", "http.post", "/api/v1/work-orders", "refused", "/api/v1/work-orders"),
        ("anonymous", "http.post", "/api/v1/work-orders", "refused", "/api/v1/work-orders"),
    ]
    statuses = [
        e.details["status"] for e in reversed(container.audit.entries()) if e.action.startswith("http.")
    ]
    assert statuses[1] == 403 and statuses[-1] == 401
