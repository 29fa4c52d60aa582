"""CollectService: collection for one plant inside one process — the entry point the demo and ``up`` use.

::

    service = CollectService.for_container(container, mqtt=True)   # MES outbox + MQTT from settings
    service.start()            # background: outbox poller, MQTT subscription (and OPC UA, NATS JetStream
                               # consumer when configured)
    service.status()           # CollectStatus: ledger totals per source + health of each connector
    service.quarantine         # QuarantineService: list / show / discard / replay
    service.rest               # RestIngest behind ``POST /api/v1/ingest/{source}/{entity}``
    service.stop()             # lands what is buffered, stops threads, closes the store if it owns it

Everything lands in the ODS of ``settings.resolved_warehouse_path()``. Pass ``connection=`` (a DuckDB
connection on that file) to share one database instance with the warehouse build and the UI in the same
process; otherwise the service opens the file itself (DuckDB still shares the instance with any later
``duckdb.connect`` of the same path and configuration in this process). ``store=`` hands it a ready
:class:`~plantloop.dataplatform.ingest.OdsStore` (tests use an in-memory one).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import duckdb

from plantloop.collect.config import CollectConfig
from plantloop.collect.connectors import legacy_db
from plantloop.collect.connectors.legacy_db import LegacyDbPuller, LegacySourceConfig
from plantloop.collect.connectors.mes_outbox import OutboxCollector, OutboxPages, SqlOutboxPages
from plantloop.collect.connectors.mqtt import MqttCollector, MqttSourceConfig
from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.connectors.uns import UnsResolver
from plantloop.collect.landing import Landing
from plantloop.collect.ledger import SourceStatus, source_status
from plantloop.collect.parsers import replay_parsers
from plantloop.collect.quarantine import QuarantineService
from plantloop.dataplatform.ingest.store import OdsStore
from plantloop.kernel.clock import Clock
from plantloop.kernel.ports import OutboxReader
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata.schema import PlantDefinition

if TYPE_CHECKING:  # imported when configured: asyncua and nats-py take seconds to import
    from plantloop.collect.connectors.jetstream import JetStreamCollector, JetStreamSourceConfig
    from plantloop.collect.connectors.opcua import OpcUaCollector
    from plantloop.collect.connectors.opcua_mapping import OpcUaMapping

log = logging.getLogger(__name__)


@dataclass
class ConnectorHealth:
    """One running connector: whether it is up, what it has seen, and its last error."""

    name: str
    source: str
    running: bool
    connected: bool | None = None
    received: int = 0
    lag: int | None = None
    last_error: str | None = None


@dataclass
class CollectStatus:
    sources: list[SourceStatus] = field(default_factory=list)
    connectors: list[ConnectorHealth] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": {s.source: s.to_dict() for s in self.sources},
            "connectors": [asdict(c) for c in self.connectors],
        }


def mqtt_config(settings: Settings, plant: PlantDefinition, **overrides: Any) -> MqttSourceConfig:
    """The UNS subscription of ``plant`` on the broker named in ``settings`` (persistent session)."""
    values: dict[str, Any] = {
        "host": settings.mqtt_host,
        "port": settings.mqtt_port,
        "source": "mqtt:uns",
        "client_id": f"plantloop-collect-{plant.site.id}",
        "topic_filter": f"{plant.enterprise.id}/#",
    }
    return MqttSourceConfig(**(values | overrides))


class CollectService:
    """Runs the configured connectors into one ODS; see the module docstring for the whole surface."""

    def __init__(
        self,
        settings: Settings,
        plant: PlantDefinition,
        *,
        outbox: OutboxReader | OutboxPages | None = None,
        outbox_source: str = "mes",
        mqtt: MqttSourceConfig | None = None,
        opcua: OpcUaMapping | None = None,
        jetstream: JetStreamSourceConfig | None = None,
        legacy: LegacySourceConfig | None = None,
        connection: duckdb.DuckDBPyConnection | None = None,
        store: OdsStore | None = None,
        clock: Clock | None = None,
        poll_interval_s: float = 0.2,
    ) -> None:
        self.settings = settings
        self.plant = plant
        path = settings.resolved_warehouse_path()
        self._owns_store = connection is None and store is None
        if self._owns_store:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.store = store or OdsStore(path, clock=clock, connection=connection)
        self.landing = Landing.for_plant(self.store, plant)
        equipment_paths = dict(plant.equipment_paths)
        self.rest = RestIngest(self.landing, equipment_paths=equipment_paths)
        self.legacy = LegacyDbPuller.from_config(legacy, self.landing) if legacy is not None else None
        self.legacy_config = legacy
        self.outbox = (
            OutboxCollector(outbox, self.landing, source=outbox_source) if outbox is not None else None
        )
        self.mqtt = MqttCollector(mqtt, self.landing, UnsResolver(plant)) if mqtt is not None else None
        decoder = self.mqtt.sparkplug if self.mqtt is not None else None
        parsers = replay_parsers(plant, sparkplug_decoder=decoder)  # replay knows the live aliases
        if legacy is not None:  # replayed legacy rows are read in their own table's time zone again
            configs = {t.table: t for t in legacy.tables}
            parsers[legacy_db.PARSER] = partial(legacy_db.parse_legacy_row, configs=configs)
        self.quarantine = QuarantineService(self.landing, plant, parsers=parsers)
        self.opcua: OpcUaCollector | None = None
        if opcua is not None:
            from plantloop.collect.connectors.opcua import OpcUaCollector

            self.opcua = OpcUaCollector(opcua, self.landing, equipment_paths)
        self.jetstream: JetStreamCollector | None = None
        if jetstream is not None:
            from plantloop.collect.connectors.jetstream import JetStreamCollector

            self.jetstream = JetStreamCollector(jetstream, self.landing)
        self.poll_interval_s = poll_interval_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._errors: dict[str, str] = {}
        self._opcua_loop: asyncio.AbstractEventLoop | None = None
        self._opcua_stop: asyncio.Event | None = None
        self.started = False

    @classmethod
    def for_container(
        cls,
        container: Any,
        *,
        mqtt: bool | MqttSourceConfig = False,
        connection: duckdb.DuckDBPyConnection | None = None,
        **kw: Any,
    ) -> CollectService:
        """From the composition root's container: its MES outbox (columnar when it is an SQL database)."""
        engine = getattr(container, "engine", None)
        outbox: OutboxReader | OutboxPages = (
            SqlOutboxPages(engine) if engine is not None else container.outbox_reader
        )
        config = mqtt if isinstance(mqtt, MqttSourceConfig) else None
        if mqtt is True:
            config = mqtt_config(container.settings, container.plant)
        return cls(
            container.settings,
            container.plant,
            outbox=outbox,
            mqtt=config,
            connection=connection,
            clock=kw.pop("clock", None) or getattr(container, "clock", None),
            **kw,
        )

    @classmethod
    def from_config(
        cls,
        settings: Settings,
        plant: PlantDefinition,
        config: CollectConfig,
        *,
        outbox: OutboxReader | OutboxPages | None = None,
        **kw: Any,
    ) -> CollectService:
        """The connectors a ``collect.yaml`` names (see :mod:`plantloop.collect.config`), plus ``outbox``."""
        return cls(
            settings,
            plant,
            outbox=outbox,
            mqtt=config.mqtt.to_source() if config.mqtt else None,
            opcua=config.opcua_mapping(),
            jetstream=config.jetstream.to_source() if config.jetstream else None,
            legacy=config.legacy.to_source() if config.legacy else None,
            **kw,
        )

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self, *, wait_subscribed_s: float = 10.0) -> bool:
        """Start every configured connector; True when MQTT (if any) confirmed its subscription in time.

        A broker that is down does not fail the start: the collector keeps reconnecting, and the
        persistent session delivers what was published meanwhile once it is back.
        """
        if self.started:
            return True
        self.started = True
        self._stop.clear()
        if self.outbox is not None:
            self._spawn("collect-outbox", self._run_outbox)
        if self.opcua is not None:
            self._spawn("collect-opcua", self._run_opcua)
        if self.jetstream is not None:
            self._spawn("collect-jetstream", self._run_jetstream)
        if self.legacy is not None and self.legacy_config is not None:
            interval = self.legacy_config.poll_interval_s
            self._spawn("collect-legacy", partial(self.legacy.run, self._stop, interval_s=interval))
        if self.mqtt is None:
            return True
        self.mqtt.start()
        return self.mqtt.subscribed.wait(wait_subscribed_s)

    def stop(self) -> None:
        """Stop connectors (MQTT lands its buffer first; unacked messages stay at the broker), then
        land what the outbox still holds, and close the store when the service opened it."""
        if self.mqtt is not None and self.started:
            self.mqtt.stop()
        self._stop.set()
        if self._opcua_loop is not None and self._opcua_stop is not None:
            self._opcua_loop.call_soon_threadsafe(self._opcua_stop.set)
        for thread in self._threads:
            thread.join(15)
        self._threads.clear()
        if self.outbox is not None and self.started:
            try:
                self.outbox.drain()
            except Exception as exc:  # the MES may already be gone; what is left lands next start
                log.warning("final outbox drain failed: %s", exc)
        self.started = False
        if self._owns_store:
            self.store.close()

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run_outbox(self) -> None:
        assert self.outbox is not None
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self.outbox.run(self._stop, idle_sleep_s=self.poll_interval_s)
                self._errors.pop("outbox", None)
            except Exception as exc:  # retried with back-off; the checkpoint keeps the position
                self._errors["outbox"] = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("outbox collector failed (%s); retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _run_jetstream(self) -> None:
        assert self.jetstream is not None
        try:
            self.jetstream.run(self._stop)
        except Exception as exc:  # the collector retries internally; this is a bug, kept visible
            self._errors["jetstream"] = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("JetStream collector stopped")

    def _run_opcua(self) -> None:
        assert self.opcua is not None
        loop = asyncio.new_event_loop()
        self._opcua_loop = loop
        stop = asyncio.Event()
        self._opcua_stop = stop
        try:
            loop.run_until_complete(self.opcua.run(stop))
        except Exception as exc:
            self._errors["opcua"] = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("OPC UA collector stopped")
        finally:
            loop.close()

    # ---- reading --------------------------------------------------------------------------------
    def activity(self) -> tuple[int, bool]:
        """(records received so far by all connectors, whether a connector knows of more waiting)."""
        seen, busy = 0, False
        if self.mqtt is not None:
            seen += self.mqtt.stats.received
        if self.opcua is not None:
            seen += self.opcua.stats.notifications
        if self.jetstream is not None:
            seen += self.jetstream.stats.received
        if self.outbox is not None:
            seen += self.outbox.position()
            try:
                busy = self.outbox.lag() > 0
            except Exception:
                busy = True
        return seen, busy

    def status(self) -> CollectStatus:
        status = CollectStatus(sources=source_status(self.store))
        running = self.started and not self._stop.is_set()
        if self.outbox is not None:
            lag: int | None
            try:
                lag = self.outbox.lag()
            except Exception:
                lag = None
            status.connectors.append(
                ConnectorHealth(
                    "outbox",
                    self.outbox.source,
                    running,
                    received=self.outbox.position(),
                    lag=lag,
                    last_error=self._errors.get("outbox"),
                )
            )
        if self.mqtt is not None:
            status.connectors.append(
                ConnectorHealth(
                    "mqtt",
                    self.mqtt.config.source,
                    running,
                    connected=self.mqtt.connected.is_set(),
                    received=self.mqtt.stats.received,
                    last_error=self.mqtt.stats.last_error,
                )
            )
        if self.legacy is not None:
            status.connectors.append(
                ConnectorHealth(
                    "legacy",
                    self.legacy.source,
                    running,
                    received=self.legacy.stats.offered,
                    last_error=self.legacy.stats.last_error,
                )
            )
        if self.jetstream is not None:
            status.connectors.append(
                ConnectorHealth(
                    "jetstream",
                    self.jetstream.config.source,
                    running,
                    connected=self.jetstream.connected,
                    received=self.jetstream.stats.received,
                    last_error=self.jetstream.stats.last_error,
                )
            )
        if self.opcua is not None:
            status.connectors.append(
                ConnectorHealth(
                    "opcua",
                    self.opcua.mapping.source,
                    running,
                    connected=self.opcua.connected,
                    received=self.opcua.stats.notifications,
                    last_error=self._errors.get("opcua") or self.opcua.stats.last_error,
                )
            )
        return status
