"""The report and alert routers on a bare FastAPI app (scope and user supplied by the test)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest
from fastapi import Depends, FastAPI, Header
from fastapi.testclient import TestClient

from plantloop.api.errors import install_error_handlers
from plantloop.api.routes import alerts as alert_routes
from plantloop.api.routes import reports as report_routes
from plantloop.reports.alerts import AckTokens, AlertEngine, MetricSample
from plantloop.reports.query import ReportRunner

SECRET = "api-test-ack-secret-0123456789abcdef"


def scope_from_header(x_lines: str | None = Header(default=None)) -> set[str] | None:
    return None if x_lines is None else {line for line in x_lines.split(",") if line}


def user_from_header(x_user: str = Header(default="tester")) -> str:
    return x_user


@pytest.fixture
def engine() -> AlertEngine:
    return AlertEngine()


@pytest.fixture
def permissions() -> list[str]:
    return []


@pytest.fixture
def client(
    runner: ReportRunner, con: duckdb.DuckDBPyConnection, engine: AlertEngine, permissions: list[str]
) -> Iterator[TestClient]:
    def allow(permission: str) -> Any:
        permissions.append(permission)
        return Depends(lambda: None)

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(
        report_routes.build_router(lambda: con, scope_from_header, runner=runner, require_permission=allow),
        prefix="/api",
    )
    app.include_router(
        alert_routes.build_router(
            lambda: engine,
            ack_tokens=AckTokens(SECRET, "http://testserver/api/alerts/ack"),
            get_username=user_from_header,
            require_permission=allow,
        ),
        prefix="/api",
    )
    with TestClient(app) as test_client:
        yield test_client


def test_the_report_list_is_localized(client: TestClient) -> None:
    zh = {r["id"]: r for r in client.get("/api/reports", params={"lang": "zh"}).json()}
    en = {r["id"]: r for r in client.get("/api/reports").json()}
    assert zh["defect_pareto"]["title"] == "缺陷柏拉图"
    assert en["defect_pareto"]["title"] == "Defect Pareto"
    assert zh["daily_production"]["columns"][1]["label"] == "产线"
    assert [p["name"] for p in en["daily_production"]["parameters"]] == [
        "date_from",
        "date_to",
        "line",
    ]


def test_a_report_page_is_json_rows_with_the_total_and_the_users_scope(client: TestClient) -> None:
    response = client.get(
        "/api/reports/daily_production",
        params={"date_from": "2026-01-01", "limit": 3, "offset": 1},
        headers={"X-Lines": "L1,L2"},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["total"] == 20 and len(body["rows"]) == 3
    assert body["rows"][0]["day"] == "2026-01-01" and body["rows"][0]["line_id"] == "L2"
    assert body["params"]["date_from"] == "2026-01-01"
    assert client.get(
        "/api/reports/daily_production/parameters/line/values", headers={"X-Lines": "L2"}
    ).json() == ["L2"]


def test_bad_parameters_are_422_and_unknown_reports_404(client: TestClient) -> None:
    unknown = client.get("/api/reports/daily_production", params={"colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["message"]
    injected = client.get("/api/reports/daily_production", params={"line": "L1' OR 1=1 --"})
    assert injected.status_code == 422
    assert client.get("/api/reports/nope").status_code == 404
    assert client.get("/api/reports/daily_production/export", params={"format": "docx"}).status_code == 422


def test_export_streams_a_download_with_scoped_rows(client: TestClient) -> None:
    response = client.get(
        "/api/reports/order_delivery/export", params={"format": "csv"}, headers={"X-Lines": "L3"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="order_delivery_' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 11 and {r[2] for r in rows[1:]} == {"L3"}
    pdf = client.get("/api/reports/order_delivery/export", params={"format": "pdf", "lang": "zh"})
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["content-type"] == "application/pdf"


def test_alert_rules_listing_acknowledgement_by_id_and_by_signed_link(
    client: TestClient, engine: AlertEngine, permissions: list[str]
) -> None:
    rule = {"id": "hot", "name": "Hot", "kind": "threshold", "metric": "temperature_c", "threshold": 80}
    assert client.post("/api/alerts/rules", json=rule).status_code == 200
    assert client.post("/api/alerts/rules", json={**rule, "threshold": None}).status_code == 422
    at = datetime(2026, 1, 5, tzinfo=UTC)
    first = engine.observe(MetricSample(metric="temperature_c", target="A", value=90, at=at))[0]
    second = engine.observe(MetricSample(metric="temperature_c", target="B", value=95, at=at))[0]
    assert {a["id"] for a in client.get("/api/alerts", params={"state": "open"}).json()} == {
        first.id,
        second.id,
    }
    acked = client.post(f"/api/alerts/{first.id}/ack", json={"note": "checking"}, headers={"X-User": "ann"})
    assert acked.json()["state"] == "acknowledged" and acked.json()["acknowledged_by"] == "ann"
    assert client.post(f"/api/alerts/{first.id}/ack").status_code == 409
    assert client.post("/api/alerts/nope/ack").status_code == 404
    token = AckTokens(SECRET, "x").token(second.id)
    assert client.get("/api/alerts/ack", params={"token": token}).json()["acknowledged_by"] == "link"
    assert client.get("/api/alerts/ack", params={"token": token + "x"}).status_code == 422
    history = client.get("/api/alerts/history").json()
    assert [h["state"] for h in history] == ["open", "open", "acknowledged", "acknowledged"]
    assert {"read", "admin", "execute"} <= set(permissions)


def test_the_routers_build_with_the_apps_own_authorization(con: duckdb.DuckDBPyConnection) -> None:
    reports = report_routes.build_router(lambda: con, lambda: None)
    alerts = alert_routes.build_router(lambda: AlertEngine())
    assert any(getattr(r, "path", "") == "/reports/{report_id}/export" for r in reports.routes)
    assert any(getattr(r, "path", "") == "/alerts/{alert_id}/ack" for r in alerts.routes)
