"""The plant process's whole app (``runtime.app.build_app``) over a real DuckDB warehouse: the data platform's
routes are mounted, require authentication, and answer a warehouse that is not built yet with a 4xx and a
message, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantloop.api.security import DEMO_PASSWORD
from plantloop.bootstrap import Container
from plantloop.runtime.app import build_app

ADMIN = ("admin", DEMO_PASSWORD)
PLATFORM_PREFIXES = ("/api/v1/metrics", "/api/v1/catalog", "/api/v1/governance", "/api/v1/ingest")


@pytest.fixture
def client(platform_container: Container) -> Iterator[TestClient]:
    with TestClient(build_app(platform_container, ui=False)) as test_client:
        yield test_client


def test_the_platform_routes_are_mounted_and_require_authentication(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    platform = [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if path.startswith(PLATFORM_PREFIXES)
    ]
    assert {p.split("/")[3] for _, p in platform} == {"metrics", "catalog", "governance", "ingest"}
    for method, template in platform:
        r = client.request(method, re.sub(r"\{[^}]+\}", "x", template), json={})
        assert r.status_code == 401, (method, template, r.status_code)


def test_an_unbuilt_warehouse_answers_with_a_message_not_a_500(client: TestClient) -> None:
    live = client.get("/api/v1/metrics/live/oee", auth=ADMIN)
    assert live.status_code == 404 and live.json()["error"] == "not_built", live.text
    assert "not built" in live.json()["message"]
    status = client.get("/api/v1/ingest/status", auth=ADMIN)
    assert status.status_code == 200 and "mes" in str(status.json())
    assert client.get("/api/v1/catalog", auth=ADMIN).status_code == 200
    assert client.get("/api/v1/governance/steward", auth=ADMIN).status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/status"  # no UI mounted here
