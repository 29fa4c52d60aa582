"""The demo plant process: every piece of ``plantloop demo`` started in order and stopped in reverse.

    clock ─ container (MES on SQLite/PostgreSQL, bus, outbox relay) ─ close earlier sessions' leftovers
      └─ mosquitto (loopback) ─ telemetry publisher ─ data platform (outbox + MQTT → ODS, warehouse
         builds, live fold) ─ paced simulator (commands → MES; telemetry → MQTT) ─ API + status page

On a fresh data directory the simulator first fast-forwards ``history_days`` (from midnight, site time)
through the real MES, so that the warehouse has whole days and metrics have data at once; then it runs at
``speed`` × real time. :meth:`status` is what the terminal and the status page show.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any
from zoneinfo import ZoneInfo

from plantloop.bootstrap import Container, build_container
from plantloop.collect.connectors.mes_outbox import SqlOutboxPages
from plantloop.kernel.clock import ensure_utc
from plantloop.kernel.errors import PlantloopError
from plantloop.kernel.settings import Settings
from plantloop.loop.decisions import DecisionKind
from plantloop.mes.domain.commands import Command, PublishDispatchLists
from plantloop.mes.gateway import BusGateway
from plantloop.runtime.broker import BrokerUnavailable, LocalBroker, port_open
from plantloop.runtime.clock import AcceleratedClock
from plantloop.runtime.pacing import PacedSimulation
from plantloop.runtime.platform import DataPlatformRuntime, attach, proposer
from plantloop.runtime.sessions import (
    ClosedLeftovers,
    Session,
    begin_session,
    close_previous_epochs,
    record_progress,
)
from plantloop.runtime.telemetry import MqttTelemetrySink
from plantloop.sim.policies import Policy, make_policy
from plantloop.sim.run import SimRun
from plantloop.sim.scenario import scenario

log = logging.getLogger(__name__)


class TwinFloorSink:
    """The decision layer's command sink in the demo: every published decision goes to the MES, as in a real
    plant, and the twin's floor carries it out — a held lot is not consumed, a maintenance order is done
    at the machine's next operation boundary, which the MES then records."""

    def __init__(self, bus: Any, sim: SimRun) -> None:
        self.bus = bus
        self.sim = sim

    def handle(self, command: Command) -> Any:
        result = self.bus.handle(command)
        self.sim.carry_out_later(command)
        return result


def schedule_decisions(container: Container, policy: Policy) -> Callable[[PublishDispatchLists, Any], None]:
    """The demo's scheduler publishes through the decision layer: each new set of dispatch lists is a
    versioned schedule decision with the plan's figures as evidence, published at once or after a
    planner's approval as the approval policy says (until then the floor works the lists it has)."""

    def publish(command: PublishDispatchLists, _send: Any) -> None:
        history = getattr(policy.rule, "history", None) or [{}]
        plan = {k: v for k, v in history[-1].items() if isinstance(v, str | int | float | bool) or v is None}
        container.decisions.propose(
            DecisionKind.SCHEDULE,
            "plant",
            [command],
            title=f"dispatch lists {command.schedule_version} ({len(command.entries)} operations)",
            evidence={"policy": policy.name, "plan": plan},
            parameters={"work_centers": sorted({e.work_center_id for e in command.entries})},
            proposed_by=f"policy:{policy.name}",
        )

    return publish


@dataclass(frozen=True)
class DemoOptions:
    speed: float = 60.0
    days: float = 30.0
    seed: int = 42
    policy: str = "aps"
    scenario: str = "default"
    history_days: float = 1.0
    telemetry_hz: float = 0.1
    build_interval_s: float = 120.0
    fresh: bool = False
    mqtt: bool = True
    serve: bool = True
    #: the plant time a new data directory starts at (None: now; naive: UTC); a resumed session goes on
    #: from where the last one stopped, or from this time if that is later
    start_at: datetime | None = None


def wipe_data(settings: Settings) -> list[Path]:
    """Remove the embedded MES store, the warehouse (with its SQLMesh project) and the session record."""
    data = settings.data_dir
    warehouse = settings.resolved_warehouse_path()
    removed = []
    candidates = [data / "mes.db", data / "mes.db-wal", data / "mes.db-shm", warehouse]
    candidates += [warehouse.with_suffix(".duckdb.wal"), data / "demo_session.json"]
    candidates += [warehouse.parent / f"{warehouse.stem}_sqlmesh"]
    for path in candidates:
        if path.is_dir():
            shutil.rmtree(path)
            removed.append(path)
        elif path.exists():
            path.unlink()
            removed.append(path)
    return removed


def history_start(now: datetime, timezone: str, days: float) -> datetime:
    """Midnight (site time) ``days`` whole days before ``now``'s day; ``now`` itself when ``days`` is 0."""
    if days <= 0:
        return now
    tz = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    return (midnight - timedelta(days=days)).astimezone(UTC)


@dataclass
class PlantProcess:
    settings: Settings
    options: DemoOptions
    session: Session | None = None
    clock: AcceleratedClock | None = None
    container: Container | None = None
    broker: LocalBroker | None = None
    publisher: Any = None
    sink: MqttTelemetrySink | None = None
    platform: DataPlatformRuntime | None = None
    sim: SimRun | None = None
    pacer: PacedSimulation | None = None
    server: Any = None
    leftovers: ClosedLeftovers | None = None
    notes: list[str] = field(default_factory=list)
    #: Counts taken after everything was flushed and landed, just before the files close.
    final_counts: dict[str, int] = field(default_factory=dict)
    _server_thread: threading.Thread | None = None
    _stopped: bool = False

    # ---- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        opts, settings = self.options, self.settings
        if opts.serve and port_open(settings.host, settings.port):
            raise PlantloopError(
                f"{settings.host}:{settings.port} is in use: stop what runs there or pick another --port",
                port=settings.port,
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if opts.fresh:
            removed = wipe_data(settings)
            self.notes.append(f"fresh start: removed {len(removed)} files of earlier sessions")
        wall = ensure_utc(opts.start_at or datetime.now(UTC)).replace(microsecond=0)
        self.session = session = begin_session(settings.data_dir, now=wall)
        self.clock = clock = AcceleratedClock(session.start_at, opts.speed)
        self.container = container = build_container(settings, clock=clock)
        if session.resumed:
            self.leftovers = close_previous_epochs(container.bus, container.queries, clock.now())
            self.notes.append(
                f"resumed as session {session.epoch}: closed {self.leftovers.work_orders_cancelled} "
                f"open work orders of earlier sessions"
            )
        mqtt_at = self._start_mqtt()
        self.platform = DataPlatformRuntime(
            container.plant,
            settings.resolved_warehouse_path(),
            SqlOutboxPages(container.engine) if container.engine is not None else container.outbox_reader,
            clock,
            settings=settings,
            mqtt=mqtt_at,
            build_interval_s=opts.build_interval_s,
            propose=proposer(container),
        )
        attach(container, self.platform)
        container.runtime_status = self.status
        self.platform.start()
        sim_start = session.start_at
        if not session.resumed:
            sim_start = history_start(session.start_at, container.plant.site.timezone, opts.history_days)
        config = scenario(
            opts.scenario,
            days=opts.days,
            seed=opts.seed + session.epoch - 1,
            policy=opts.policy,
            start_at=sim_start,
            id_prefix=session.id_prefix,
            telemetry_hz=opts.telemetry_hz if self.sink is not None else 0.0,
            strict_gateway=False,
            keep_shop_floor_events=False,
        )
        gateway = BusGateway(container.bus, container.queries)
        policy = make_policy(opts.policy)
        policy.publish = schedule_decisions(container, policy)
        self.sim = SimRun(config, gateway, self.sink, plant=container.plant, policy=policy)
        container.decisions.sink = TwinFloorSink(container.bus, self.sim)
        self.pacer = PacedSimulation(
            self.sim, clock, group_commit=gateway.group_commit, on_step=self._on_step
        )
        container.closers.append(self.pacer)
        self.pacer.start()
        if opts.serve:
            self._start_server()

    def _start_mqtt(self) -> tuple[str, int] | None:
        if not self.options.mqtt:
            self.notes.append("MQTT off (--no-mqtt): telemetry is not published")
            return None
        from plantloop.sim.transports.mqtt_publisher import UnsPublisher

        broker = LocalBroker(self.settings.mqtt_port)
        try:
            broker.start()
        except BrokerUnavailable as exc:
            self.notes.append(f"{exc.message} — going on without MQTT telemetry")
            return None
        self.broker = broker
        self.publisher = UnsPublisher(broker.host, broker.port, client_id="plantloop-demo-sim")
        assert self.container is not None
        self.sink = MqttTelemetrySink(
            self.publisher,
            self.container.plant.equipment_paths,
            publish_from=self.session.start_at if self.session else None,
        )
        self.notes.append(f"mosquitto on {broker.host}:{broker.port} (started by the demo)")
        return broker.host, broker.port

    def _start_server(self) -> None:
        import uvicorn

        from plantloop.runtime.app import build_app

        assert self.container is not None
        app = build_app(self.container)
        config = uvicorn.Config(
            app, host=self.settings.host, port=self.settings.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # the CLI owns Ctrl-C
        self._server_thread = threading.Thread(target=self.server.run, name="api", daemon=True)
        self._server_thread.start()

    def _on_step(self, run: SimRun) -> None:
        if self.session is not None and self.pacer is not None and self.pacer.steps % 20 == 0:
            record_progress(
                self.settings.data_dir, self.session, run.config.start_at + timedelta(seconds=run.now_s)
            )

    # ---- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop in reverse order; every step runs even when an earlier one failed."""
        if self._stopped:
            return
        self._stopped = True
        steps = [
            ("simulator", self._stop_sim),
            ("web server", self._stop_server),
            ("telemetry publisher", self._stop_publisher),
            ("data platform", self._stop_platform),
            ("mosquitto", lambda: self.broker.stop() if self.broker else None),
            ("MES", lambda: self.container.close() if self.container else None),
        ]
        for name, step in steps:
            try:
                step()
            except Exception:
                log.exception("stopping the %s failed", name)

    def _stop_sim(self) -> None:
        if self.pacer is not None:
            self.pacer.stop()
        if self.container is not None:
            self.container.bus.flush()
        if self.sim is not None and self.session is not None:
            at = self.sim.config.start_at + timedelta(seconds=self.sim.now_s)
            record_progress(self.settings.data_dir, self.session, at)

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self._server_thread is not None:
            self._server_thread.join(15)

    def _stop_platform(self) -> None:
        if self.platform is None:
            return
        platform = self.platform
        platform.stop_builds()  # a build running now would slow the landing while we wait for it
        if platform.mqtt is not None and self.sink is not None:
            # Land what the broker holds (it keeps nothing after it stops): wait while the collector
            # still makes progress, give up only after 30 s without any (a loaded machine lands slowly).
            last, since = -1, monotonic()
            while platform.mqtt.stats.received < self.sink.published and monotonic() - since < 30.0:
                if platform.mqtt.stats.received != last:
                    last, since = platform.mqtt.stats.received, monotonic()
                sleep(0.1)
        platform.stop(before_close=lambda: self.final_counts.update(platform.counts()))
        if self.sink is not None:
            self.final_counts["mqtt_published"] = self.sink.published

    def _stop_publisher(self) -> None:
        if self.publisher is not None:
            # every message published reaches the broker: wait while the broker still acknowledges, give up
            # (and say how many were never sent) only after 10 s without any progress
            left = -1
            while not self.publisher.flush(10.0) and self.publisher.pending != left:
                left = self.publisher.pending
            if self.publisher.pending:
                log.warning(
                    "%d telemetry messages were never acknowledged by the broker", self.publisher.pending
                )
            self.publisher.close()

    # ---- status --------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """What the process is doing, as plain data (for the terminal and the API)."""
        out: dict[str, Any] = {"notes": list(self.notes)}
        if self.session is not None:
            out["session"] = self.session.epoch
        if self.clock is not None:
            out["plant_time"] = self.clock.now().isoformat(timespec="seconds")
            out["speed"] = self.clock.speed
        if self.sim is not None and self.pacer is not None:
            sim_at = self.sim.config.start_at + timedelta(seconds=self.sim.now_s)
            out["sim_time"] = sim_at.isoformat(timespec="seconds")
            out["sim_lag_s"] = round(self.pacer.lag_s, 1)
            out["sim_done"] = self.sim.done
            out["sim_error"] = repr(self.pacer.error) if self.pacer.error else None
            out["commands_sent"] = sum(self.sim.plant.commands_sent.values())
            out["commands_rejected"] = len(self.sim.plant.rejected)
        if self.container is not None:
            out["mes_events"] = self.container.outbox_reader.last_seq()
            out["work_orders"] = self.container.queries.work_order_counts()
        if self.sink is not None:
            out["mqtt_published"] = self.sink.published
        if self.platform is not None:
            out["ods"] = self.platform.counts()
            b = self.platform.build_status
            out["warehouse"] = {
                "builds": b.builds,
                "failures": b.failures,
                "running": b.running,
                "last_duration_s": round(b.last_duration_s, 1) if b.last_duration_s else None,
                "last_error": b.last_error,
            }
        return out
