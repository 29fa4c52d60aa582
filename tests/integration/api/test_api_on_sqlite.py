"""The API on a real SQLite file, and ``plantloop up`` serving it from a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from plantloop.api.main import create_app
from plantloop.bootstrap import build_container
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from plantloop.mes.outbox import RecordingSubscriber
from tests.servers import free_port

ADMIN = ("admin", "demo")


def test_the_api_runs_on_a_migrated_sqlite_file_and_the_relay_delivers(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    container = build_container(Settings(data_dir=tmp_path, demo=True), plant=reference_plant)
    sub = RecordingSubscriber()
    container.relay.subscribe(sub)
    with TestClient(create_app(container)) as client:
        body = {
            "work_order_id": "WO-1",
            "material_id": "P-FAN-01",
            "qty": 2,
            "due_at": "2026-01-09T00:00:00Z",
        }
        assert client.post("/api/v1/work-orders", json=body, auth=ADMIN).status_code == 201
        assert client.post("/api/v1/work-orders/WO-1/release", auth=ADMIN).status_code == 200
        assert client.get("/health").json()["last_event_seq"] > 0
        for _ in range(300):
            if len(sub.received) == container.outbox_reader.last_seq():
                break
            time.sleep(0.01)
    assert [e.type for e in sub.received][:2] == ["WorkOrderCreated", "WorkOrderCreated"]
    assert len(sub.received) == container.outbox_reader.last_seq()
    assert (tmp_path / "mes.db").exists()
    container.close()


def _up(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int, httpx.Response]:
    """``plantloop up --demo`` on a fresh data directory, once it answers /health."""
    port = free_port()
    env = {**os.environ, "PLANTLOOP_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "plantloop"), "up", "--port", str(port), "--demo", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            return proc, port, httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                output = proc.stdout.read().decode() if proc.stdout else ""
                raise AssertionError(f"plantloop up did not start: {output[-2000:]}") from None
            time.sleep(0.2)


def test_plantloop_up_migrates_and_serves(tmp_path: Path) -> None:
    proc, port, r = _up(tmp_path)
    try:
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/work-orders", timeout=5).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/work-orders", auth=ADMIN, timeout=5).json() == []
        assert (tmp_path / "mes.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_plantloop_up_with_the_rescheduler_replans_when_a_machine_goes_down(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    proc, port, _ = _up(tmp_path, "--reschedule", "--reschedule-limit", "5", "--no-platform")
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        for n, material in enumerate(["P-KET-01", "P-FAN-01"]):
            body = {"work_order_id": f"WO-{n}", "material_id": material, "qty": 20, "due_at": due}
            assert httpx.post(f"{api}/work-orders", json=body, auth=ADMIN, timeout=10).status_code == 201
            r = httpx.post(f"{api}/work-orders/WO-{n}/release", json={}, auth=ADMIN, timeout=10)
            assert r.status_code == 200, r.text
        time.sleep(6)  # a poll of the rescheduler: releases of ordinary priority are no reason to re-plan
        schedules = httpx.get(f"{api}/decisions", params={"kind": "schedule"}, auth=ADMIN, timeout=10).json()
        assert schedules == []
        body = {"reason_code": "BRK"}
        r = httpx.post(f"{api}/equipment/IM-01/downtime/start", json=body, auth=ADMIN, timeout=10)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        while not schedules:
            assert time.monotonic() < deadline, "no plan after the breakdown"
            time.sleep(0.5)
            schedules = httpx.get(
                f"{api}/decisions", params={"kind": "schedule"}, auth=ADMIN, timeout=10
            ).json()
        decision = schedules[0]
        assert decision["proposed_by"] == "rescheduler" and "machine_down" in decision["title"]
        published = [
            item
            for wc in reference_plant.work_centers
            for item in httpx.get(f"{api}/dispatch/{wc}", auth=ADMIN, timeout=10).json()["items"]
            if item["published"]
        ]
        assert published and all(item["equipment_id"] != "IM-01" for item in published)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
