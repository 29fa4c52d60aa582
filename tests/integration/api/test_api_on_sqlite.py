"""The API on a real SQLite file, and ``plantloop up`` serving it from a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


def test_plantloop_up_migrates_and_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PLANTLOOP_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "plantloop"), "up", "--port", str(port), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "plantloop up did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/work-orders", timeout=5).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/work-orders", auth=ADMIN, timeout=5).json() == []
        assert (tmp_path / "mes.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
