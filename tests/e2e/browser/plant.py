"""The plant the browser tests look at: the real composition (SQLite MES, the in-process data platform
landing the outbox into DuckDB and building the warehouse) driven by the seeded simulator through the MES
gateway, with the web UI mounted on the API and served by uvicorn on a free loopback port."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import uvicorn

from plantloop.api.main import create_app
from plantloop.api.security import hash_password
from plantloop.bootstrap import Container, build_container
from plantloop.dataplatform.warehouse.synthetic import OdsEventLog, generate_plant_days
from plantloop.kernel.settings import Settings, UserSpec
from plantloop.mes.gateway import BusGateway
from plantloop.mes.masterdata import PlantDefinition
from plantloop.reports.sample_ads import fill_sample_ads
from plantloop.runtime.platform import DataPlatformRuntime
from plantloop.sim.calendar import SimCalendar
from plantloop.sim.run import SimRun
from plantloop.sim.scenario import ScenarioConfig
from plantloop.ui import mount
from plantloop.ui.context import UiContext
from tests.servers import free_port

#: A configured (non-demo) user for the lockout test: locking a demo user would disturb other tests.
LOCKOUT_USER = ("lockme", "the right password")
#: A configured quality engineer scoped to line L2 (may export: row scope of downloads).
SCOPED_EXPORTER = ("quality_l2", "l2 quality password")
PASSWORDS = {LOCKOUT_USER[0]: LOCKOUT_USER[1], SCOPED_EXPORTER[0]: SCOPED_EXPORTER[1]}
#: Hours of simulated plant before the tests start (the MES side: orders, lots, events).
HISTORY_H = 8.0
HISTORY_EQUIPMENT = ["IM-01", "PR-01", "AS-11", "TS-11", "AS-21", "TS-21", "AS-31", "TS-31"]


@dataclass
class ServedPlant:
    base_url: str
    container: Container
    ctx: UiContext
    platform: DataPlatformRuntime
    sim: SimRun
    gateway: BusGateway
    server: uvicorn.Server
    thread: threading.Thread
    sim_start: datetime
    #: Why the warehouse build failed (reports then read sample ADS tables), or None.
    warehouse_error: str | None

    def advance_sim(self, seconds: float) -> None:
        """Simulate ``seconds`` more, never past the wall clock (the plant's events are real-time)."""
        limit = (datetime.now(UTC) - self.sim_start).total_seconds() - 1
        with self.gateway.group_commit():
            self.sim.advance(min(self.sim.now_s + seconds, limit))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.platform.stop()
        self.container.close()


def history_start(plant: PlantDefinition, now: datetime, hours: float = HISTORY_H) -> datetime:
    """The whole hour from which the plant has worked ``hours`` until ``now``: on a rest day (the reference
    plant's Sunday) the simulated history reaches back into the last shifts, so the tests find orders."""
    span_s = 14 * 86_400.0
    cal = SimCalendar(plant.calendar, plant.site.timezone, now - timedelta(seconds=span_s), span_s)
    back = cal.back_working(span_s, hours * 3600)
    start = cal.at(back) if back > -math.inf else now - timedelta(hours=hours)
    return start.replace(minute=0, second=0, microsecond=0)


def serve_plant(data_dir: Path, *, seed: int = 5) -> ServedPlant:
    port = free_port()
    settings = Settings(
        demo=True,
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        users={
            LOCKOUT_USER[0]: UserSpec(password_hash=hash_password(LOCKOUT_USER[1]), roles=["viewer"]),
            SCOPED_EXPORTER[0]: UserSpec(
                password_hash=hash_password(SCOPED_EXPORTER[1]), roles=["quality"], lines=["L2"]
            ),
        },
    )
    container = build_container(settings)
    platform = DataPlatformRuntime(
        container.plant,
        settings.resolved_warehouse_path(),
        container.outbox_reader,
        container.clock,
        mqtt=None,
        build_interval_s=24 * 3600,
    )
    container.platform = platform
    # Reports read the warehouse: build it over synthetic history of whole shifts (the generator the data
    # platform's own tests use) before the simulator's events land, so the build does not depend on them.
    history = OdsEventLog(container.plant)
    generate_plant_days(
        history, HISTORY_EQUIPMENT, (datetime.now(UTC) - timedelta(days=4)).date(), 3, seed=seed
    )
    history.write(platform.store.cursor())
    platform.build_once()
    warehouse_error = platform.build_status.last_error
    services: dict[str, object] = {}
    if warehouse_error:
        # The reports must not show made-up data, and the UI tests should not stop on another context's
        # failing build: reports then read ADS-shaped sample tables (same schema; checked by a test that
        # fails while the build fails).
        sample = duckdb.connect()
        sample.execute("SET TimeZone = 'UTC'")
        fill_sample_ads(sample, start=(datetime.now(UTC) - timedelta(days=10)).date(), days=11)
        services["report_connection"] = sample
    start = history_start(container.plant, datetime.now(UTC))
    config = ScenarioConfig(start_at=start, days=4, seed=seed, strict_gateway=False)
    gateway = BusGateway(container.bus, container.queries)
    sim = SimRun(config, gateway, plant=container.plant)
    with gateway.group_commit():
        sim.advance((datetime.now(UTC) - start).total_seconds() - 120)
    platform.start()
    _wait(lambda: platform.outbox.lag() == 0, 60, "the outbox did not land in the ODS")
    app = create_app(container)
    ctx = mount(app, container, **services)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="ui-test-server", daemon=True)
    thread.start()
    _wait(lambda: server.started, 30, "uvicorn did not start")
    _wait(lambda: ctx.hub.latest is not None, 30, "the live hub produced no snapshot")
    return ServedPlant(
        f"http://127.0.0.1:{port}",
        container,
        ctx,
        platform,
        sim,
        gateway,
        server,
        thread,
        start,
        warehouse_error,
    )


def _wait(condition: object, timeout_s: float, message: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(0.05)
