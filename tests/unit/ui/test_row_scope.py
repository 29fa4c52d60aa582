"""Row-level scope of the MES through the API: a user scoped to line L1 neither sees nor changes L2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.api.security import DEMO_PASSWORD
from plantloop.bootstrap import build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition

ADMIN = ("admin", DEMO_PASSWORD)
L1 = ("operator_l1", DEMO_PASSWORD)
DUE = "2026-01-09T12:00:00Z"


@pytest.fixture
def client(reference_plant: PlantDefinition) -> Iterator[TestClient]:
    container = build_in_memory_container(Settings(demo=True), plant=reference_plant, clock=FakeClock())
    with TestClient(create_app(container)) as c:
        for wo, material in (("WO-K", "P-KET-02"), ("WO-B", "P-BLE-02")):
            body = {"work_order_id": wo, "material_id": material, "qty": 2, "due_at": DUE}
            assert c.post("/api/v1/work-orders", json=body, auth=ADMIN).status_code == 201
            assert c.post(f"/api/v1/work-orders/{wo}/release", auth=ADMIN).status_code == 200
        yield c


def test_a_scoped_user_lists_only_the_orders_of_its_lines(client: TestClient) -> None:
    everything = {w["id"] for w in client.get("/api/v1/work-orders", auth=ADMIN).json()}
    mine = {w["id"] for w in client.get("/api/v1/work-orders", auth=L1).json()}
    assert {"WO-K", "WO-B"} <= everything
    assert "WO-K" in mine and "WO-B" not in mine


def test_an_out_of_scope_order_reads_as_not_found(client: TestClient) -> None:
    assert client.get("/api/v1/work-orders/WO-K", auth=L1).status_code == 200
    r = client.get("/api/v1/work-orders/WO-B", auth=L1)
    assert r.status_code == 404 and r.json()["error"] == "unknown_work_order"


def test_commands_outside_the_scope_are_refused_and_change_nothing(client: TestClient) -> None:
    r = client.post("/api/v1/operations/WO-B/010/start", json={"equipment_id": "AS-21"}, auth=L1)
    assert r.status_code == 403 and r.json()["error"] == "out_of_scope"
    assert client.get("/api/v1/operations/WO-B/010", auth=ADMIN).json()["status"] == "ready"
    r = client.post("/api/v1/equipment/AS-21/downtime/start", json={"reason_code": "BRK"}, auth=L1)
    assert r.status_code == 403
    r = client.post("/api/v1/operations/WO-K/010/start", json={"equipment_id": "AS-11"}, auth=L1)
    assert r.status_code == 200, r.text


def test_dispatch_lists_and_equipment_follow_the_scope(client: TestClient) -> None:
    assert client.get("/api/v1/dispatch/L1-ASSY", auth=L1).status_code == 200
    assert client.get("/api/v1/dispatch/L2-ASSY", auth=L1).status_code == 403
    lines = {e["id"][:3] for e in client.get("/api/v1/equipment", auth=L1).json()}
    assert lines == {"AS-", "TS-", "PK-"}
    assert {e["id"] for e in client.get("/api/v1/equipment", auth=L1).json()} == {
        "AS-11",
        "AS-12",
        "TS-11",
        "PK-11",
    }


def test_events_of_other_lines_are_filtered_out_and_paging_still_fills_pages(client: TestClient) -> None:
    admin_subjects = {e["event"]["subject"] for e in client.get("/api/v1/events", auth=ADMIN).json()["items"]}
    assert "WO-B" in admin_subjects
    page = client.get("/api/v1/events?limit=2", auth=L1).json()
    assert len(page["items"]) == 2 and page["next_after_seq"] is not None
    seen = client.get("/api/v1/events?limit=1000", auth=L1).json()["items"]
    assert seen and all(not e["event"]["subject"].startswith("WO-B") for e in seen)
