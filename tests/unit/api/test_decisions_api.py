"""Decisions over HTTP: a waiting hold is approved by the right role and reaches the MES; errors are 4xx."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plantloop.bootstrap import Container
from plantloop.loop import ApprovalMode, DecisionKind
from plantloop.mes.domain import commands as c
from tests.unit.api.conftest import demo

LOT = "LOT-CORD-3"


def waiting_hold(container: Container) -> str:
    container.bus.handle(
        c.ReceiveMaterialLot(lot_id=LOT, material_id="CP-CORD", supplier_id="SUP-HX", qty=50)
    )
    container.decisions.policy = container.decisions.policy.with_mode(
        DecisionKind.LOT_HOLD, ApprovalMode.APPROVAL
    )
    decision = container.decisions.propose(
        DecisionKind.LOT_HOLD,
        f"lot:{LOT}",
        [c.HoldLot(lot_id=LOT, reason="cord insulation defects")],
        title="Hold cord lot",
        evidence={"defect_rate": 0.12},
    )
    return decision.id


def test_a_quality_engineer_approves_a_waiting_hold_and_the_lot_is_held(
    client: TestClient, container: Container
) -> None:
    decision_id = waiting_hold(container)
    pending = client.get("/api/v1/decisions", params={"status": "proposed"}, auth=demo("viewer")).json()
    assert [d["id"] for d in pending] == [decision_id]
    response = client.post(
        f"/api/v1/decisions/{decision_id}/approve", json={"note": "ok"}, auth=demo("quality")
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "acknowledged"
    assert response.json()["decided_by"] == "quality"
    lot = container.queries.lot(LOT)
    assert lot is not None and lot.held


def test_roles_outside_the_policy_are_refused_and_nothing_is_sent(
    client: TestClient, container: Container
) -> None:
    decision_id = waiting_hold(container)
    operator = client.post(f"/api/v1/decisions/{decision_id}/approve", json={}, auth=demo("operator"))
    assert operator.status_code == 403  # no approve permission at all
    planner = client.post(f"/api/v1/decisions/{decision_id}/approve", json={}, auth=demo("planner"))
    assert planner.status_code == 403 and planner.json()["error"] == "not_allowed_to_approve"
    lot = container.queries.lot(LOT)
    assert lot is not None and not lot.held


def test_bad_requests_about_decisions_are_clear_4xx(client: TestClient, container: Container) -> None:
    decision_id = waiting_hold(container)
    assert client.get("/api/v1/decisions/nope", auth=demo("viewer")).status_code == 404
    empty = client.post(f"/api/v1/decisions/{decision_id}/reject", json={"reason": ""}, auth=demo("quality"))
    assert empty.status_code == 422
    assert (
        client.get("/api/v1/decisions", params={"kind": "teleport"}, auth=demo("viewer")).status_code == 422
    )
    client.post(
        f"/api/v1/decisions/{decision_id}/reject", json={"reason": "false alarm"}, auth=demo("quality")
    )
    again = client.post(f"/api/v1/decisions/{decision_id}/approve", json={}, auth=demo("quality"))
    assert again.status_code == 409 and again.json()["error"] == "decision_not_pending"


def test_the_audit_log_is_for_administrators_only(client: TestClient, container: Container) -> None:
    decision_id = waiting_hold(container)
    assert client.get("/api/v1/audit", auth=demo("manager")).status_code == 403
    entries = client.get("/api/v1/audit", params={"target": f"decision:{decision_id}"}, auth=demo("admin"))
    assert entries.status_code == 200
    assert [e["action"] for e in entries.json()] == ["decision.propose"]
