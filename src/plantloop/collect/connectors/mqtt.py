"""MQTT connector (paho-mqtt 2, MQTT 5): UNS messages at QoS 1 into the ODS, acknowledged only once landed.

Delivery guarantee: a persistent session (``clean_start=False`` with a session expiry) keeps the
subscription and every unacknowledged message at the broker while we are away; ``Receive Maximum`` bounds
the messages in flight (at most 65,535: MQTT packet ids are 16 bits); PUBACKs are sent manually
(``manual_ack_set``) only after the batch holding the message is committed in DuckDB. The in-flight window
is several landing batches wide, so the broker keeps sending while a batch lands (a window of one batch
would stop the stream at every commit). A crash before the commit makes the broker redeliver; a crash
after the commit but before the PUBACK redelivers a message that is then dropped as a duplicate (same
event id). Acks are bound to the connection they came in on: after a reconnect the broker renumbers,
so acks of the old connection are dropped (those messages come again).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.sparkplug import PARSER as SPARKPLUG
from plantloop.collect.connectors.sparkplug import SparkplugDecoder
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.collect.contracts import SourceKind
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest.store import LandResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttSourceConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    source: str = "mqtt:uns"
    client_id: str = "plantloop-collect"
    #: What to subscribe to: the enterprise's namespace (``ACME/#``, see ``service.mqtt_config``) so that
    #: malformed topics under it are quarantined, not silently ignored; ``#`` takes the whole broker.
    topic_filter: str = "#"
    max_inflight: int = 8000
    batch_size: int = 2000
    linger_s: float = 0.05
    session_expiry_s: int = 7 * 24 * 3600
    keepalive_s: int = 30
    extra_filters: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 1 <= self.max_inflight <= 65_535:
            raise ValueError("max_inflight must be 1..65535 (MQTT packet ids are 16 bits)")
        if not 1 <= self.batch_size <= self.max_inflight:
            raise ValueError("batch_size must be 1..max_inflight")


@dataclass
class MqttStats:
    received: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    connects: int = 0
    last_error: str | None = None


class MqttCollector:
    """Subscribes, buffers, lands in batches on its own thread, acks after commit."""

    def __init__(
        self,
        config: MqttSourceConfig,
        landing: Landing,
        resolver: UnsResolver,
        *,
        sparkplug: SparkplugDecoder | None = None,
    ) -> None:
        self.config = config
        self.landing = landing
        self.resolver = resolver
        #: Topics under ``spBv1.0/`` are Sparkplug B (protobuf); everything else is UNS JSON.
        self.sparkplug = sparkplug or SparkplugDecoder(resolver.paths)
        self.stats = MqttStats()
        self._cond = threading.Condition()
        self._buffer: list[tuple[bytes, bytes, int, int]] = []
        self._generation = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ack_lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = self.config.max_inflight
        self.client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-landing", daemon=True)
        self._thread.start()

    def stop(self, *, drain_s: float = 2.0) -> None:
        """Land what is buffered (up to ``drain_s``), then disconnect; unacked messages stay at the broker."""
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            with self._cond:
                if not self._buffer:
                    break
            time.sleep(0.02)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread:
            self._thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    # ---- paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("mqtt connect refused: %s", reason)
            return
        if getattr(flags, "session_present", False):
            # The broker kept our session, subscription included: it is already delivering the backlog,
            # and the SUBACK below may queue behind thousands of messages.
            self.subscribed.set()
        with self._ack_lock:
            self._generation += 1
        self.stats.connects += 1
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        client.subscribe([(f, options) for f in (self.config.topic_filter, *self.config.extra_filters)])
        self.connected.set()

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if all(not r.is_failure for r in reasons):
            self.subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        with self._ack_lock:
            self._generation += 1
        log.info("mqtt disconnected: %s", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        item = (msg._topic, bytes(msg.payload), msg.mid if msg.qos else 0, self._generation)
        with self._cond:
            self._buffer.append(item)
            if len(self._buffer) >= self.config.batch_size:
                self._cond.notify()

    # ---- landing thread --------------------------------------------------------------------------
    def _take(self) -> list[tuple[bytes, bytes, int, int]]:
        with self._cond:
            if not self._buffer:
                self._cond.wait(0.5)
            if self._buffer and len(self._buffer) < self.config.batch_size and not self._stop.is_set():
                self._cond.wait(self.config.linger_s)
            taken = self._buffer[: self.config.batch_size]
            del self._buffer[: self.config.batch_size]
            return taken

    def _run(self) -> None:
        while not self._stop.is_set():
            items = self._take()
            if items:
                self._land(items)

    def _land(self, items: list[tuple[bytes, bytes, int, int]]) -> None:
        uns = CandidateBatch(parser=PARSER)
        sparkplug = CandidateBatch(parser=SPARKPLUG)
        now = self.landing.store.clock.now()
        source, resolver, decoder = self.config.source, self.resolver, self.sparkplug
        for topic, payload, _mid, _gen in items:
            if topic.startswith(b"spBv1.0/"):
                decoder.parse(sparkplug, source, topic, payload, now)
            else:
                parse_uns(uns, resolver, source, topic, payload, now)
        results = []
        for batch in (uns, sparkplug):
            while len(batch):
                try:
                    results.append(self.landing.land(batch, source=source, kind=SourceKind.MQTT))
                    break
                except Exception as exc:  # the store failed: keep the messages (unacked) and retry
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    log.exception("landing an MQTT batch failed; retrying")
                    if self._stop.wait(1.0):
                        return
        result = results[0] if len(results) == 1 else LandResult("", 0)
        if len(results) > 1:
            for part in results:
                result.add(part)
        self.stats.last_error = None
        self.stats.received += len(items)
        self.stats.landed += result.landed
        self.stats.duplicates += result.duplicates
        self.stats.quarantined += result.quarantined
        self.stats.batches += 1
        with self._ack_lock:
            generation = self._generation
            for _topic, _payload, mid, gen in items:
                if mid and gen == generation:
                    self.client.ack(mid, 1)
