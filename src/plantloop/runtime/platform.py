"""The data platform inside the demo process: the MES outbox and MQTT land in the ODS, the warehouse is
built periodically (APScheduler), and live metrics fold every landed MES event.

Everything shares ONE DuckDB file (``settings.resolved_warehouse_path()``): the ODS store holds the
read-write connection; SQLMesh opens the same path with the same configuration, so DuckDB gives both the
same database instance (two read-write *processes* on one file would fail). Writes are short
transactions: each landed batch is one; the warehouse build commits model by model.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from plantloop.collect.connectors.mes_outbox import OutboxCollector
from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig
from plantloop.collect.connectors.uns import UnsResolver
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import OdsStore
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.live.tail import OdsTail
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.clock import Clock
from plantloop.kernel.errors import PlantloopError
from plantloop.kernel.ports import OutboxReader
from plantloop.mes.masterdata.schema import PlantDefinition

log = logging.getLogger(__name__)

# No network: SQLMesh would otherwise try to send anonymous usage analytics (read when sqlmesh is imported,
# which happens lazily at the first build, after this line).
os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")

MES_SOURCE = "mes"
MQTT_SOURCE = "mqtt:uns"


@dataclass
class BuildStatus:
    builds: int = 0
    failures: int = 0
    last_duration_s: float | None = None
    last_finished_at: datetime | None = None
    last_error: str | None = None
    running: bool = False


class DataPlatformRuntime:
    def __init__(
        self,
        plant: PlantDefinition,
        warehouse_path: Path,
        outbox: OutboxReader,
        clock: Clock,
        *,
        mqtt: tuple[str, int] | None = None,
        build_interval_s: float = 120.0,
    ) -> None:
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        self.plant = plant
        self.clock = clock
        self.store = OdsStore(warehouse_path)
        self.landing = Landing.for_plant(self.store, plant)
        self.outbox = OutboxCollector(outbox, self.landing, source=MES_SOURCE)
        self.mqtt: MqttCollector | None = None
        if mqtt is not None:
            config = MqttSourceConfig(
                host=mqtt[0], port=mqtt[1], source=MQTT_SOURCE, client_id="plantloop-demo"
            )
            self.mqtt = MqttCollector(config, self.landing, UnsResolver(plant))
        self.warehouse = Warehouse(warehouse_path, plant)
        self.live = LiveMetrics(plant)
        self.tail = OdsTail(self.store.query_arrow, self.live)
        self.build_interval_s = build_interval_s
        self.build_status = BuildStatus()
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler = BackgroundScheduler(timezone="UTC")

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self, *, subscribe_timeout_s: float = 15.0) -> None:
        if self.mqtt is not None:
            self.mqtt.start()
            if not self.mqtt.subscribed.wait(subscribe_timeout_s):
                raise PlantloopError("the MQTT collector could not subscribe", source=MQTT_SOURCE)
        for name, target in (("collect-outbox", self.outbox.run), ("live-tail", self.tail.run)):
            thread = threading.Thread(target=self._guard(name, target), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._scheduler.add_job(
            self.build_once,
            "interval",
            seconds=self.build_interval_s,
            id="warehouse-build",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()

    def _guard(self, name: str, target: Any) -> Any:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    target(self._stop)
                except Exception:  # a failing poll is logged and retried, never silently dropped
                    log.exception("%s failed; retrying in 1 s", name)
                    self._stop.wait(1.0)

        return run

    def stop(self, *, before_close: Callable[[], object] | None = None) -> None:
        """Stop the jobs and threads, land what is left, then close the files (``before_close`` runs
        just before, e.g. to take final counts)."""
        self._scheduler.shutdown(wait=True)
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        if self.mqtt is not None:
            self.mqtt.stop()
        self.outbox.drain()  # what the MES committed last lands before the file closes
        if before_close is not None:
            before_close()
        self.warehouse.close()
        self.store.close()

    # ---- jobs ----------------------------------------------------------------------------------
    def build_once(self) -> None:
        """Build the warehouse (one build at a time; failures are kept and shown, not raised).

        SQLMesh processes whole days up to the wall clock's yesterday: plant days that run ahead of the wall
        clock (accelerated time) are built once the wall clock has passed them."""
        if not self._build_lock.acquire(blocking=False):
            return
        status = self.build_status
        status.running = True
        started = time.perf_counter()
        try:
            self.warehouse.build()
            status.builds += 1
            status.last_error = None
        except Exception as exc:
            status.failures += 1
            status.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("warehouse build failed")
        finally:
            status.last_duration_s = time.perf_counter() - started
            status.last_finished_at = self.clock.now()
            status.running = False
            self._build_lock.release()

    # ---- status --------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows landed per ODS table, the outbox lag and MQTT messages received."""
        out: dict[str, int] = {}
        for table in self.store.ods_tables():
            out[table] = int(self.store.query(f"SELECT count(*) FROM {table}")[0][0])
        out["outbox_lag"] = self.outbox.lag()
        if self.mqtt is not None:
            out["mqtt_received"] = self.mqtt.stats.received
        return out
