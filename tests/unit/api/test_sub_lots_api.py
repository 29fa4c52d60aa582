"""Creating an order as sub-lots through the API: explicit quantities or the plant's lot-sizing rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.bootstrap import build_in_memory_container
from plantloop.kernel.clock import FakeClock
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from tests.unit.api.conftest import demo

ADMIN = demo("admin")
DUE = "2026-01-09T12:00:00Z"


def _post(client: TestClient, qty: int, **extra: object) -> tuple[int, dict[str, object]]:
    body = {"work_order_id": "SO-5", "material_id": "P-KET-01", "qty": qty, "due_at": DUE, **extra}
    r = client.post("/api/v1/work-orders", json=body, auth=ADMIN)
    return r.status_code, r.json()


def _qty(client: TestClient, wo_id: str) -> int:
    r = client.get(f"/api/v1/work-orders/{wo_id}", auth=ADMIN)
    assert r.status_code == 200, r.text
    qty: int = r.json()["qty"]
    return qty


def test_split_uses_the_plant_rule_and_lists_the_lots(client: TestClient) -> None:
    status, out = _post(client, 120, split=True)
    assert status == 201, out
    assert out["lots"] == ["SO-5.1", "SO-5.2", "SO-5.3"]  # the default rule: up to 3, none under 30
    assert out["ids"] == [x for i in (1, 2, 3) for x in (f"SO-5.{i}", f"SO-5.{i}~SA-KBODY")]
    assert [_qty(client, lot) for lot in ("SO-5.1", "SO-5.2", "SO-5.3")] == [40, 40, 40]
    for lot in out["lots"]:  # type: ignore[union-attr]
        r = client.post(f"/api/v1/work-orders/{lot}/release", auth=ADMIN)
        assert r.status_code == 200 and r.json()["ids"][0] == lot


def test_a_small_order_stays_whole_under_the_rule(client: TestClient) -> None:
    status, out = _post(client, 50, split=True)
    assert status == 201 and out["lots"] == ["SO-5"] and _qty(client, "SO-5") == 50


def test_explicit_lot_quantities(client: TestClient) -> None:
    status, out = _post(client, 100, lot_qtys=[70, 30])
    assert status == 201 and out["lots"] == ["SO-5.1", "SO-5.2"]
    assert (_qty(client, "SO-5.1"), _qty(client, "SO-5.2")) == (70, 30)


def test_a_plain_order_lists_itself_as_its_one_lot(client: TestClient) -> None:
    status, out = _post(client, 100)
    assert status == 201 and out == {"ids": ["SO-5", "SO-5~SA-KBODY"], "lots": ["SO-5"]}


@pytest.mark.parametrize(
    ("extra", "status", "error", "message"),
    [
        ({"lot_qtys": [60, 30]}, 422, "invalid_input", "add up to 90"),
        ({"lot_qtys": [100, 0]}, 422, "invalid_input", "positive"),
        ({"lot_qtys": [50, 50], "split": True}, 422, "invalid_input", "not both"),
        ({"lot_qtys": [1] * 101}, 422, "invalid_input", "lot_qtys"),
    ],
)
def test_bad_lots_are_a_4xx_with_a_reason_and_create_nothing(
    client: TestClient, extra: dict[str, object], status: int, error: str, message: str
) -> None:
    code, out = _post(client, 100, **extra)
    assert code == status and out["error"] == error and message in str(out["message"]), out
    assert client.get("/api/v1/work-orders", auth=ADMIN).json() == []


def test_a_retried_split_is_a_conflict_not_a_second_order(client: TestClient) -> None:
    assert _post(client, 120, split=True)[0] == 201
    code, out = _post(client, 120, split=True)
    assert code == 409 and "SO-5" in str(out["message"])
    assert len(client.get("/api/v1/work-orders", auth=ADMIN).json()) == 6  # 3 lots, each with one component


@pytest.fixture
def two_lot_client(reference_plant: PlantDefinition) -> Iterator[TestClient]:
    settings = Settings(demo=True, lot_max_lots=2, lot_min_qty=50)
    container = build_in_memory_container(settings, plant=reference_plant, clock=FakeClock())
    with TestClient(create_app(container)) as client:
        yield client


def test_the_rule_comes_from_the_settings(two_lot_client: TestClient) -> None:
    status, out = _post(two_lot_client, 150, split=True)
    assert status == 201 and out["lots"] == ["SO-5.1", "SO-5.2"]
    assert (_qty(two_lot_client, "SO-5.1"), _qty(two_lot_client, "SO-5.2")) == (75, 75)
    assert _post(two_lot_client, 99, split=True, work_order_id="SO-6")[1]["lots"] == ["SO-6"]
