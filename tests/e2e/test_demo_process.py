"""``plantloop demo``'s process for real, briefly: mosquitto, the paced simulator on the MES, MQTT and
outbox landing into one DuckDB file while the warehouse builds on it, the status page — then a second
session on the same data resumes cleanly."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from plantloop.kernel.settings import Settings
from plantloop.loop.decisions import Decision, DecisionKind, DecisionStatus
from plantloop.runtime.broker import find_mosquitto
from plantloop.runtime.plant_process import DemoOptions, PlantProcess
from tests.servers import free_port

pytestmark = pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto is not installed")

#: 14:00 on a Monday at the reference plant (Asia/Shanghai)
MONDAY = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _run(
    settings: Settings, options: DemoOptions, seconds: float, *, need_build: bool
) -> tuple[PlantProcess, str, list[Decision]]:
    process = PlantProcess(settings, options)
    page = ""
    schedules: list[Decision] = []
    try:
        process.start()
        assert process.platform is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline or (need_build and process.platform.build_status.builds == 0):
            assert time.monotonic() < deadline + 60, "no warehouse build finished"
            time.sleep(0.5)
        url = f"http://{settings.host}:{settings.port}/status"
        page = httpx.get(url, auth=("manager", "demo"), timeout=10).text
        assert process.pacer is not None and process.pacer.error is None
        assert process.container is not None
        schedules = process.container.decisions.list(kind=DecisionKind.SCHEDULE, limit=10_000)
    finally:
        process.stop()
    return process, page, schedules


def test_the_demo_process_lands_everything_it_produced_and_a_second_session_resumes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, demo=True, port=free_port(), mqtt_port=free_port())
    # FIFO dispatch keeps this pacing test independent of the solver's speed on a loaded machine
    options = DemoOptions(
        speed=900.0,
        history_days=0.0,
        telemetry_hz=0.02,
        build_interval_s=3.0,
        policy="baseline",
        start_at=MONDAY,  # a working day in the plant: on a Sunday the plant rests and sends little
    )
    first, page, schedules = _run(settings, options, 10.0, need_build=True)
    final = first.final_counts
    assert first.sim is not None and sum(first.sim.plant.commands_sent.values()) > 100
    # every MES event and every MQTT message landed in the ODS, while warehouse builds ran beside
    assert final["ods_mes__events"] == final["outbox_lag"] + final["ods_mes__events"] > 100
    assert final["outbox_lag"] == 0
    assert final["mqtt_published"] > 0 and final["ods_mqtt__telemetry"] == final["mqtt_published"]
    assert first.platform is not None and first.platform.build_status.failures == 0
    assert "DEMO MODE" in page and "Live OEE" in page and "E1-WO-" in page

    # the twin's dispatch lists went to the MES as schedule decisions (what `make run` does with aps; the
    # CP-SAT plans themselves are checked in tests/integration/mes/test_sim_on_the_real_bus.py)
    assert schedules and all(d.status is DecisionStatus.ACKNOWLEDGED for d in schedules[:5])
    assert schedules[0].evidence["policy"] == "baseline"

    second, page, _ = _run(settings, options, 4.0, need_build=False)
    assert second.session is not None and second.session.epoch == 2 and second.session.resumed
    assert first.sim is not None and second.sim is not None
    assert second.sim.config.start_at >= first.sim.config.start_at
    assert second.leftovers is not None and second.leftovers.refused == []
    assert second.sim.plant.rejected == []
    assert "E2-WO-" in page
