"""Publish simulator telemetry, states and events to Unified Namespace topics at QoS 1.

Topic ``<enterprise>/<site>/<area>/<line>/<equipment>/<contract>/<name>`` (see
:mod:`plantloop.collect.connectors.uns`); payload JSON with the source timestamp ``ts`` and a ``seq``.
Publishing is at-least-once: paho keeps every unacknowledged message and sends it again after a
reconnect; the number of unacknowledged messages is bounded (paho's message ids wrap at 65535).
"""

from __future__ import annotations

import json
import time
from collections import deque
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def uns_topic(equipment_path: str, contract: str, name: str) -> str:
    """Topic of an equipment whose ISA-95 path is ``enterprise/site/area/line/work_center/equipment``."""
    levels = equipment_path.split("/")
    return "/".join([*levels[:4], levels[-1], contract, name])


def _acked(info: mqtt.MQTTMessageInfo) -> bool:
    # Not ``is_published()``: it raises for messages published while disconnected, which paho still
    # holds and sends after the reconnect; the flag below is set by the broker's PUBACK either way.
    return bool(info._published)


class UnsPublisher:
    """A QoS 1 publisher with a persistent session and a bounded window of unacknowledged messages."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str = "plantloop-sim",
        max_unacked: int = 20_000,
        max_inflight: int = 1000,
    ) -> None:
        self.max_unacked = max_unacked
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 24 * 3600
        self.client.connect_async(host, port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        self._pending: deque[mqtt.MQTTMessageInfo] = deque()
        self.published = 0

    def publish_raw(self, topic: str, payload: bytes) -> None:
        while len(self._pending) >= self.max_unacked:
            head = self._pending[0]
            if _acked(head):
                self._pending.popleft()
            else:
                time.sleep(0.002)
        info = self.client.publish(topic, payload, qos=1)
        self._pending.append(info)
        self.published += 1

    def publish_telemetry(
        self, equipment_path: str, tag: str, value: float, ts: datetime, seq: int | None = None
    ) -> None:
        body: dict[str, Any] = {"ts": ts.isoformat(), "value": value}
        if seq is not None:
            body["seq"] = seq
        self.publish_raw(uns_topic(equipment_path, "telemetry", tag), json.dumps(body).encode())

    def publish_state(
        self, equipment_path: str, tag: str, state: str, ts: datetime, seq: int | None = None
    ) -> None:
        body: dict[str, Any] = {"ts": ts.isoformat(), "value": state}
        if seq is not None:
            body["seq"] = seq
        self.publish_raw(uns_topic(equipment_path, "state", tag), json.dumps(body).encode())

    def publish_event(
        self, equipment_path: str, name: str, fields: dict[str, Any], ts: datetime, seq: int | None = None
    ) -> None:
        body: dict[str, Any] = {**fields, "ts": ts.isoformat()}
        if seq is not None:
            body["seq"] = seq
        self.publish_raw(uns_topic(equipment_path, "event", name), json.dumps(body).encode())

    @property
    def pending(self) -> int:
        """Messages handed to the client and not yet acknowledged by the broker."""
        return len(self._pending)

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until every message is acknowledged by the broker; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._pending:
            if _acked(self._pending[0]):
                self._pending.popleft()
            elif time.monotonic() > deadline:
                return False
            else:
                time.sleep(0.005)
        return True

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
