"""Genealogy, root cause and the quality API over a real MES store (SQLite and PostgreSQL) the twin drove."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.bootstrap import Container
from plantloop.optimize.quality.genealogy import GenealogyTracer
from plantloop.optimize.quality.rca_data import DefectSignal
from plantloop.optimize.quality.service import QualityService
from plantloop.optimize.quality.sources import index_from_mes_store
from plantloop.sim.run import SimResult

QUALITY = ("quality", "demo")


def _finished_product_lot(result: SimResult) -> str:
    done = [
        wo
        for wo in result.plant.records.work_orders
        if wo.completed_s is not None and wo.is_top_level and wo.children
    ]
    return f"LOT-{done[0].id}"


def test_a_trace_over_the_mes_tables_agrees_with_the_mes_genealogy_query(
    driven_mes: tuple[Container, SimResult],
) -> None:
    container, result = driven_mes
    lot_id = _finished_product_lot(result)
    assert container.engine is not None
    tracer = GenealogyTracer(index_from_mes_store(container.engine, plant=container.plant))
    trace = tracer.backward(lot_id)
    links = container.queries.genealogy(lot_id, "backward")
    assert {lot.lot_id for lot in trace.components} == {link.component_lot_id for link in links}
    assert trace.suppliers and trace.machines and trace.shifts
    assert all(op.started_at is not None and op.equipment_id for op in trace.operations)
    supplier_lot = trace.supplier_lots[0].lot_id
    forward = tracer.forward(supplier_lot)
    assert lot_id in {lot.lot_id for lot in forward.affected}
    assert {link.produced_lot_id for link in container.queries.genealogy(supplier_lot, "forward")} == {
        lot.lot_id for lot in forward.affected
    }


def test_the_quality_service_follows_the_outbox_and_explains_the_most_frequent_defect(
    driven_mes: tuple[Container, SimResult],
) -> None:
    container, result = driven_mes
    service = QualityService.from_container(container)
    assert service.sync() > 0 and service.sync() == 0
    codes = Counter(op.scrap_defect_code for op in service.ledger.operations.values() if op.scrap_defect_code)
    code = codes.most_common(1)[0][0]
    report = service.explain(DefectSignal(code))
    assert report["population"]["defects"] > 0 and report["causes"]
    assert code in report["summary"]
    trace = service.trace(_finished_product_lot(result))
    assert trace.lot.kind == "produced"


def test_the_quality_and_equipment_health_routes_answer_and_refuse_bad_input(
    driven_mes: tuple[Container, SimResult],
) -> None:
    container, result = driven_mes
    app = create_app(container, run_relay=False)  # quality and equipment health are built in
    with TestClient(app) as client:
        lot_id = _finished_product_lot(result)
        trace = client.get(f"/api/v1/quality/trace/{lot_id}", auth=QUALITY)
        assert (
            trace.status_code == 200
            and trace.json()["direction"] == "backward"
            and trace.json()["components"]
        )
        assert client.get("/api/v1/quality/trace/LOT-NOPE", auth=QUALITY).status_code == 404
        assert client.get(f"/api/v1/quality/trace/{lot_id}").status_code == 401
        bad_window = {"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}
        assert client.post("/api/v1/quality/root-cause", json=bad_window, auth=QUALITY).status_code == 422
        report = client.post("/api/v1/quality/root-cause", json={"top": 2}, auth=QUALITY)
        assert report.status_code == 200 and len(report.json()["causes"]) == 2
        proposed = client.post("/api/v1/quality/root-cause/actions", json={"submit": True}, auth=QUALITY)
        assert proposed.status_code == 200
        body = proposed.json()
        assert len(body["decisions"]) == len(body["proposals"])
        assert (
            client.post("/api/v1/quality/root-cause/actions", json={}, auth=("viewer", "demo")).status_code
            == 403
        )
        chart = client.get("/api/v1/quality/spc/defects", auth=QUALITY)
        assert chart.status_code == 200 and chart.json()["chart"]["kind"] == "p"
        machine = next(
            op
            for op in result.plant.ops.values()
            if op.equipment_id and op.spec.parameters and op.completed_s
        )
        name = machine.spec.parameters[0].name
        spc = client.get(
            f"/api/v1/quality/spc/parameters/{machine.equipment_id}",
            params={"parameter": name},
            auth=QUALITY,
        )
        assert spc.status_code in (200, 422)  # 422: fewer than three points on that machine
        assert client.get("/api/v1/equipment-health", auth=QUALITY).json() == []
        assert client.get("/api/v1/equipment-health/IM-01", auth=QUALITY).status_code == 404
