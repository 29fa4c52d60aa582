"""Every route of the app — the API and the routes the web UI adds — requires authentication, and every
route that reads or changes rows of a line enforces the caller's row scope.

The routes are enumerated from the app itself, so a new route is covered the day it is added: it must
either be listed as public (with the reason) or pass both checks. The plant has work on line L1 and line L2;
``admin_l1`` holds every permission but sees only L1, so a refusal can only come from the scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.api.security import DEMO_PASSWORD, hash_password
from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.settings import Settings, UserSpec
from plantloop.loop import DecisionKind
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.maintenance.watch import PredictiveMaintenanceWatcher
from plantloop.reports.sample_ads import fill_sample_ads
from plantloop.ui import mount

ADMIN = ("admin", DEMO_PASSWORD)
ADMIN_L1 = ("admin_l1", "scoped admin password")

#: Routes without login, and why that is safe.
PUBLIC = {
    ("GET", "/health"): "liveness only",
    ("GET", "/"): "a redirect to the home page (which asks for a login), no data",
    ("GET", "/openapi.json"): "the API's description, no data",
    ("GET", "/docs"): "the API's description, no data",
    ("GET", "/docs/oauth2-redirect"): "the API's description, no data",
    ("GET", "/redoc"): "the API's description, no data",
    ("GET", "/api/v1/alerts/ack"): "the signed, expiring token in the link is the credential",
    ("POST", "/api/v1/alerts/ack"): "the signed, expiring token in the link is the credential",
    ("GET", "/auth/complete"): "the single-use login ticket is the credential",
    ("GET", "/auth/logout"): "ends the caller's own session",
}
#: Routes that are not row data of a line, and why.
NOT_LINE_ROWS = {
    "/api/v1/auth": "the caller's own identity",
    "/api/v1/masterdata": "reference data of the plant definition (no rows of production)",
    "/api/v1/audit": "the administrators' audit log of the whole plant",
    "/api/v1/alerts/rules": "plant-wide alert configuration (administrators)",
    "/api/v1/reports": "report definitions (their rows are checked through the run and export routes)",
    "/api/v1/forms": "form definitions (entries are checked through the entries routes)",
}
#: Line-row reads whose answer needs history this fixture does not make: only the refusal is checked.
NEEDS_HISTORY = {
    "/api/v1/quality/spc/parameters/{equipment_id}": "a chart needs parameter readings of three operations",
    "/api/v1/quality/spc/defects": "a chart needs two completed operations (line L1 has one)",
}
L2_MARKERS = ("WO-B", "AS-21", "AS-22", "TS-21", "PK-21", "L2-ASSY", "L2-TEST", "L2-PACK", "MO-B")
DUE = (datetime.now(UTC) + timedelta(days=1)).isoformat()
#: Path parameters naming a row of a line (other parameters name definitions: reports, forms).
ROW_IDS = (
    "work_order_id",
    "operation_id",
    "equipment_id",
    "work_center_id",
    "lot_id",
    "maintenance_order_id",
    "decision_id",
    "alert_id",
)


def routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, _IncludedRouter):
            for ctx in route.effective_route_contexts():
                out += [(m, ctx.path) for m in sorted(getattr(ctx.original_route, "methods", None) or [])]
        else:
            out += [(m, route.path) for m in sorted(getattr(route, "methods", None) or {"GET"})]  # type: ignore[attr-defined]
    return [(m, p) for m, p in out if m != "HEAD"]


@pytest.fixture(scope="module")
def plant(
    reference_plant: PlantDefinition,
) -> Iterator[tuple[TestClient, Container, dict[str, dict[str, str]]]]:
    users = {ADMIN_L1[0]: UserSpec(password_hash=hash_password(ADMIN_L1[1]), roles=["admin"], lines=["L1"])}
    container = build_in_memory_container(Settings(demo=True, users=users), plant=reference_plant)
    bus, now = container.bus, container.clock.now()
    for wo, material, equipment in (("WO-K", "P-KET-02", "AS-11"), ("WO-B", "P-BLE-02", "AS-21")):
        bus.handle(
            c.CreateWorkOrder(work_order_id=wo, material_id=material, qty=2, due_at=now + timedelta(days=1))
        )
        bus.handle(c.ReleaseWorkOrder(work_order_id=wo))
        bus.handle(c.StartOperation(operation_id=f"{wo}/010", equipment_id=equipment))
        bus.handle(c.CompleteOperation(operation_id=f"{wo}/010", qty_good=2))
        bus.handle(
            c.RecordInspection(
                inspection_id=f"I-{wo}",
                operation_id=f"{wo}/010",
                result=c.InspectionResult.PASS,
                qty_inspected=2,
            )
        )
        mo = f"MO-{wo[-1]}"
        bus.handle(
            c.CreateMaintenanceOrder(
                maintenance_order_id=mo, equipment_id=equipment, kind=c.MaintenanceKind.PREVENTIVE
            )
        )
    bus.handle(c.StartDowntime(equipment_id="AS-22", reason_code="BRK"))
    bus.handle(c.StartDowntime(equipment_id="AS-12", reason_code="BRK"))
    decisions = {
        side: container.decisions.propose(
            DecisionKind.LOT_RELEASE,
            f"lot:LOT-{wo}",
            [c.ReleaseLot(lot_id=f"LOT-{wo}", reason="x")],
            title="release",
            proposed_by="quality",
        ).id
        for side, wo in (("L1", "WO-K"), ("L2", "WO-B"))
    }
    sample = duckdb.connect()
    fill_sample_ads(sample, start=now.date() - timedelta(days=5), days=6)
    app = create_app(container)
    ctx = mount(app, container, pages=False, report_connection=sample)
    app.state.equipment_health = watcher = PredictiveMaintenanceWatcher()
    watcher.ingest_rows(
        pd.DataFrame(
            [
                {
                    "equipment_id": eq,
                    "tag": tag,
                    "value": 1.0 + i,
                    "measured_at": now + timedelta(seconds=10 * i),
                }
                for eq in ("AS-12", "AS-22")
                for tag in ("temperature_c", "vibration_mm_s", "current_a")
                for i in range(5)
            ]
        )
    )
    for record in container.queries.events(limit=1000):
        ctx.alerts.observe_event(record.envelope)
    alerts = {ctx.line_of_target(a.target): a.id for a in ctx.alerts.alerts()}
    values = {
        "L1": {
            "work_order_id": "WO-K",
            "operation_id": "WO-K/010",
            "equipment_id": "AS-12",
            "work_center_id": "L1-ASSY",
            "lot_id": "LOT-WO-K",
            "maintenance_order_id": "MO-K",
            "decision_id": decisions["L1"],
            "alert_id": alerts["L1"],
        },
        "L2": {
            "work_order_id": "WO-B",
            "operation_id": "WO-B/010",
            "equipment_id": "AS-22",
            "work_center_id": "L2-ASSY",
            "lot_id": "LOT-WO-B",
            "maintenance_order_id": "MO-B",
            "decision_id": decisions["L2"],
            "alert_id": alerts["L2"],
        },
    }
    with TestClient(app) as client:
        yield client, container, values


def fill(path: str, values: dict[str, str]) -> str:
    common = {
        "report_id": "daily_production",
        "name": "line",
        "form_id": "downtime_report",
        "material_id": "P-BLE-02",
    }
    return re.sub(r"\{([^}:]+)(?::path)?\}", lambda m: {**common, **values}[m.group(1)], path)


def body(method: str, path: str, values: dict[str, str]) -> dict[str, Any]:
    """A valid body for each write route, aimed at the side whose ``values`` are given."""
    line_material = "P-BLE-02" if values["work_order_id"] == "WO-B" else "P-KET-02"
    suffix = path.rsplit("}", 1)[-1] if "}" in path else path
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/work-orders": {
            "work_order_id": "WO-NEW",
            "material_id": line_material,
            "qty": 1,
            "due_at": DUE,
        },
        "/cancel": {"reason": "x"},
        "/start": {"equipment_id": values["equipment_id"]},
        "/pause": {"reason_code": "BRK"},
        "/complete": {"qty_good": 1},
        "/consume": {"lot_id": values["lot_id"], "qty": 1},
        "/inspections": {"inspection_id": "I-NEW", "result": "pass", "qty_inspected": 1},
        "/downtime/start": {"reason_code": "BRK"},
        "/state": {"state": "idle"},
        "/api/v1/maintenance-orders": {
            "maintenance_order_id": "MO-NEW",
            "equipment_id": values["equipment_id"],
            "kind": "corrective",
        },
        "/api/v1/dispatch": {
            "schedule_version": "v-x",
            "entries": [
                {
                    "operation_id": f"{values['work_order_id']}/020",
                    "work_center_id": values["work_center_id"],
                    "position": 0,
                }
            ],
        },
        "/api/v1/lots": {
            "lot_id": "LOT-NEW",
            "material_id": "PL-RM-SS304",
            "supplier_id": "SUP-01",
            "qty": 1,
        },
        "/hold": {"reason": "x"},
        "/release": {"reason": "x"},
        "/approve": {"note": ""},
        "/reject": {"reason": "x"},
        "/ack": {},
        "/entries": {
            "values": {
                "equipment_id": values["equipment_id"],
                "reason_code": "BRK",
                "started_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
                "ended_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            }
        },
        "/review": {"approve": True},
        "/api/v1/equipment-health/telemetry": {
            "samples": [
                {
                    "equipment_id": values["equipment_id"],
                    "tag": "temperature_c",
                    "value": 40.0,
                    "measured_at": DUE,
                }
            ]
        },
    }
    if method == "PATCH":
        return {"priority": 2}
    if "/maintenance-orders/" in path:
        return {}
    return bodies.get(suffix, bodies.get(path, {}))


def test_every_route_but_the_listed_public_ones_requires_authentication(plant: Any) -> None:
    client, _, values = plant
    found = routes(client.app)  # type: ignore[arg-type]
    assert len(found) > 60
    for method, path in found:
        r = client.request(method, fill(path, values["L2"]), json={}, follow_redirects=False)
        if (method, path) in PUBLIC:
            assert r.status_code not in range(200, 300) or path in (
                "/health",
                "/openapi.json",
                "/docs",
                "/redoc",
                "/docs/oauth2-redirect",
            ), path
            continue
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        assert r.json()["error"] == "unauthenticated"


#: Of these prefixes only the exact path is a definition list; what is below it holds rows.
DEFINITION_LISTS = {"/api/v1/reports", "/api/v1/forms"}


def _line_route(path: str) -> bool:
    for prefix in NOT_LINE_ROWS:
        if path == prefix or (path.startswith(prefix + "/") and prefix not in DEFINITION_LISTS):
            return False
    return True


def test_reads_of_line_rows_show_a_scoped_user_only_its_lines(plant: Any) -> None:
    client, _, values = plant
    checked = 0
    for method, path in routes(client.app):  # type: ignore[arg-type]
        if method != "GET" or (method, path) in PUBLIC or not _line_route(path):
            continue
        if path in NEEDS_HISTORY and "{" in path:
            refused = client.get(fill(path, values["L2"]), params={"parameter": "x"}, auth=ADMIN_L1)
            assert refused.status_code in (403, 404), (path, refused.status_code, refused.text[:300])
        elif path in NEEDS_HISTORY:
            assert client.get(path, auth=ADMIN).status_code == 200, path
            mine = client.get(path, auth=ADMIN_L1)
            assert mine.status_code == 422 and not [m for m in L2_MARKERS if m in mine.text], path
        elif any(f"{{{name}" in path for name in ROW_IDS):
            whole = client.get(fill(path, values["L2"]), auth=ADMIN)
            assert whole.status_code == 200, (path, whole.status_code, whole.text[:200])
            refused = client.get(fill(path, values["L2"]), auth=ADMIN_L1)
            assert refused.status_code in (403, 404), (path, refused.status_code, refused.text[:300])
            mine = client.get(fill(path, values["L1"]), auth=ADMIN_L1)
            assert mine.status_code == 200, (path, mine.status_code, mine.text[:200])
            leaked = [m for m in L2_MARKERS if m in mine.text]
            assert not leaked, (path, leaked)
        else:
            whole = client.get(fill(path, values["L2"]), auth=ADMIN)
            mine = client.get(fill(path, values["L2"]), auth=ADMIN_L1)
            assert whole.status_code == mine.status_code == 200, (path, whole.status_code, mine.status_code)
            leaked = [m for m in L2_MARKERS if m in mine.text]
            assert not leaked, (path, leaked)
        checked += 1
    assert checked >= 20


def test_lists_show_the_other_line_to_the_whole_plant_so_the_read_check_can_fail(plant: Any) -> None:
    client, _, _ = plant
    for path in (
        "/api/v1/work-orders",
        "/api/v1/equipment",
        "/api/v1/events",
        "/api/v1/inspections",
        "/api/v1/maintenance-orders",
        "/api/v1/decisions",
        "/api/v1/alerts",
        "/status",
    ):
        assert any(m in client.get(path, auth=ADMIN).text for m in L2_MARKERS), path


def test_report_rows_and_exports_are_cut_to_the_scope(plant: Any) -> None:
    client, _, _ = plant
    rows = client.get("/api/v1/reports/daily_production", auth=ADMIN_L1).json()["rows"]
    assert rows and {r["line_id"] for r in rows} == {"L1"}
    everything = client.get("/api/v1/reports/daily_production", auth=ADMIN).json()["rows"]
    assert {r["line_id"] for r in everything} == {"FAB", "L1", "L2", "L3"}
    lookup = client.get("/api/v1/reports/daily_production/parameters/line/values", auth=ADMIN_L1).json()
    assert lookup == ["L1"]
    csv = client.get("/api/v1/reports/daily_production/export?format=csv", auth=ADMIN_L1).text
    assert ",L1," in csv and ",L2," not in csv


def test_writes_to_another_line_are_refused_whatever_the_permissions(plant: Any) -> None:
    client, container, values = plant
    before = len(container.queries.events(limit=100_000))
    checked = 0
    for method, path in routes(client.app):  # type: ignore[arg-type]
        if method == "GET" or (method, path) in PUBLIC or not _line_route(path):
            continue
        if path in ("/api/v1/auth/token",):
            continue
        payload = body(method, path, values["L2"])
        r = client.request(method, fill(path, values["L2"]), json=payload, auth=ADMIN_L1)
        assert r.status_code in (403, 404), (method, path, r.status_code, r.text[:300])
        checked += 1
    assert checked >= 25
    assert len(container.queries.events(limit=100_000)) == before  # nothing reached the MES
