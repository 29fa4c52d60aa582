"""The simulator's telemetry onto MQTT: a :class:`~plantloop.sim.telemetry.TelemetrySink` that publishes
every ``every``-th sample of each signal to the equipment's Unified Namespace topic at QoS 1
(:class:`~plantloop.sim.transports.mqtt_publisher.UnsPublisher`), with the sample's plant time. Samples
older than ``publish_from`` are skipped: a history fast-forwarded at start-up is not streamed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np


class TelemetryPublisher(Protocol):
    def publish_telemetry(
        self, equipment_path: str, tag: str, value: float, ts: datetime, seq: int | None = None
    ) -> None: ...


class MqttTelemetrySink:
    """Publishes chunks sample by sample (one message per signal); counts what it sent."""

    def __init__(
        self,
        publisher: TelemetryPublisher,
        equipment_paths: Mapping[str, str],
        *,
        every: int = 1,
        publish_from: datetime | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.publisher = publisher
        self.paths = dict(equipment_paths)
        self.every = every
        self.published = 0
        #: Samples before this plant time are counted, not sent (a fast-forwarded history streams none).
        self.publish_from = publish_from
        self.skipped = 0
        self._seq: dict[str, int] = {}

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        path = self.paths[equipment_id]
        n = len(next(iter(arrays.values())))
        seq0 = self._seq.get(equipment_id, 0)
        # keep the phase across chunks: sample k (over the whole run) is published when k % every == 0
        first = (-seq0) % self.every
        for i in range(first, n, self.every):
            ts = start_at + timedelta(seconds=i * interval_s)
            if self.publish_from is not None and ts < self.publish_from:
                self.skipped += len(arrays)
                continue
            for tag, values in arrays.items():
                self.publisher.publish_telemetry(path, tag, round(float(values[i]), 4), ts, seq0 + i)
                self.published += 1
        self._seq[equipment_id] = seq0 + n
