"""The data platform inside the plant process (``plantloop demo`` and ``plantloop up``): the MES outbox and
MQTT land in the ODS, the platform is governed and built periodically on plant time (APScheduler), live
metrics fold every landed MES event, and the predictive-maintenance feed watches the landed telemetry.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from plantloop.collect.config import CollectConfig
from plantloop.collect.connectors.mes_outbox import OutboxPages
from plantloop.collect.connectors.mqtt import MqttSourceConfig
from plantloop.collect.service import CollectService
from plantloop.dataplatform.ingest.store import OdsStore
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.live.tail import OdsTail
from plantloop.dataplatform.service import DataPlatform
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.clock import Clock
from plantloop.kernel.errors import PlantloopError
from plantloop.kernel.ports import OutboxReader
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.proposals import Proposal
from plantloop.runtime.health import HealthFeed

if TYPE_CHECKING:
    from plantloop.bootstrap import Container
    from plantloop.loop.decisions import Decision

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
    """Collection (:class:`~plantloop.collect.service.CollectService`: the MES outbox, MQTT and whatever
    ``collect`` names), the governed warehouse, the live path and the health feed in one process."""

    def __init__(
        self,
        plant: PlantDefinition,
        warehouse_path: Path,
        outbox: OutboxReader | OutboxPages,
        clock: Clock,
        *,
        settings: Settings | None = None,
        mqtt: tuple[str, int] | None = None,
        collect: CollectConfig | None = None,
        build_interval_s: float = 120.0,
        propose: Callable[[Proposal], object] | None = None,
    ) -> None:
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        self.plant = plant
        self.clock = clock
        self.store = OdsStore(warehouse_path)
        settings = settings or Settings(warehouse_path=warehouse_path)
        if collect is not None:  # a plant's collect.yaml: its MQTT, OPC UA, legacy MES, JetStream sources
            self.collect = CollectService.from_config(
                settings, plant, collect, outbox=outbox, store=self.store, clock=clock
            )
        else:
            config = None
            if mqtt is not None:
                config = MqttSourceConfig(
                    host=mqtt[0], port=mqtt[1], source=MQTT_SOURCE, client_id="plantloop-demo"
                )
            self.collect = CollectService(
                settings,
                plant,
                outbox=outbox,
                outbox_source=MES_SOURCE,
                mqtt=config,
                store=self.store,
                clock=clock,
            )
        self.landing = self.collect.landing
        self.mqtt = self.collect.mqtt
        assert self.collect.outbox is not None  # given above
        self.outbox = self.collect.outbox
        self.warehouse = Warehouse(warehouse_path, plant)
        #: governance, DQ verdicts, metrics, catalog and decision lineage over the warehouse
        self.data = DataPlatform(self.warehouse, clock=clock)
        self.live = LiveMetrics(plant)
        self.tail = OdsTail(self.store.query_arrow, self.live)
        self.health: HealthFeed | None = None
        if propose is not None:
            self.health = HealthFeed(self.store.query_arrow, plant.equipment_paths, clock, propose)
        self.build_interval_s = build_interval_s
        self.build_status = BuildStatus()
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler = BackgroundScheduler(timezone="UTC")

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self, *, subscribe_timeout_s: float = 15.0, require_subscription: bool = True) -> None:
        """Start collection, the live path, the health feed and the build schedule. A broker that does not
        answer in time fails the start when ``require_subscription`` (the demo publishes right after);
        otherwise it is logged and the collector keeps reconnecting (a plant's broker may be down)."""
        if not self.collect.start(wait_subscribed_s=subscribe_timeout_s):
            if require_subscription:
                raise PlantloopError("the MQTT collector could not subscribe", source=MQTT_SOURCE)
            log.warning(
                "the MQTT broker did not answer within %.0f s; collection keeps retrying", subscribe_timeout_s
            )
        jobs: list[tuple[str, Any]] = [("live-tail", self.tail.run)]
        if self.health is not None:
            jobs.append(("equipment-health", self.health.run))
        for name, target in jobs:
            thread = threading.Thread(target=self._guard(name, target), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        built = self.build_status.builds + self.build_status.failures > 0
        first_build_s = self.build_interval_s if built else 5.0  # a fresh process builds soon after its start
        self._scheduler.add_job(
            self.build_once,
            "interval",
            seconds=self.build_interval_s,
            id="warehouse-build",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=first_build_s),
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

    def stop_builds(self) -> None:
        """No further builds; waits for a running one to finish (collection goes on)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def stop(self, *, before_close: Callable[[], object] | None = None) -> None:
        """Stop the jobs and threads, land what is left, then close the files (``before_close`` runs
        just before, e.g. to take final counts)."""
        self.stop_builds()
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        self.collect.stop()  # MQTT lands its buffer; what the MES committed last lands before the file closes
        if before_close is not None:
            before_close()
        self.warehouse.close()
        self.store.close()

    # ---- jobs ----------------------------------------------------------------------------------
    def build_once(self) -> None:
        """Govern, build and check the platform (one build at a time; failures are kept and shown, not
        raised). Days are processed up to the plant clock's now, which runs ahead of the wall clock in the
        accelerated demo."""
        if not self._build_lock.acquire(blocking=False):
            return
        status = self.build_status
        status.running = True
        started = time.perf_counter()
        try:
            self.data.build(end=self.clock.now())
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


def attach(container: Container, runtime: DataPlatformRuntime) -> None:
    """Make ``runtime`` the container's data platform: the decision layer's DQ gate asks its verdicts,
    every decision's input partitions are recorded as lineage, and its health feed proposes through the
    decision layer."""
    from plantloop.loop.gating import CallableGate

    container.platform = runtime
    decisions = container.decisions
    decisions.gate = CallableGate(runtime.data.dq_verdict)

    def lineage(decision: Decision) -> None:
        if decision.inputs:
            runtime.data.record_decision_inputs(
                decision.id,
                decision.kind.value,
                [(p.table, p.partition) for p in decision.inputs],
                model_version=decision.model_version,
            )

    decisions.lineage = lineage


def proposer(container: Container) -> Callable[[Proposal], object]:
    """``propose(proposal)`` through the container's decision layer (recorded, gated, approved by policy)."""

    def propose(proposal: Proposal) -> object:
        return container.decisions.propose(**proposal.as_kwargs())

    return propose
