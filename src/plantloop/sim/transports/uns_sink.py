"""The simulator's telemetry onto MQTT: a :class:`~plantloop.sim.telemetry.TelemetrySink` that publishes each
sample of each signal to the machine's Unified Namespace topic at QoS 1.

Topic ``<enterprise>/<site>/<area>/<line>/<equipment>/telemetry/<signal>``; payload
``{"ts": "<ISO-8601 source time>", "value": 211.37, "seq": <sample number>}`` — exactly what
:mod:`plantloop.collect.connectors.uns` reads. ``seq`` counts samples per machine over the whole run, so a
sample has the same event id however often it is sent. ``every`` publishes only every n-th sample (a slower
demo feed); ``pace_per_s`` caps the rate like a real plant (messages per second, 0 = as fast as the broker
acknowledges); ``observe`` sees every (topic, payload) sent — for ground truth in tests and benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
import orjson

from plantloop.sim.transports.mqtt_publisher import uns_topic


class RawPublisher(Protocol):
    def publish_raw(self, topic: str, payload: bytes) -> None: ...


class UnsTelemetrySink:
    """Publishes chunks sample by sample; counts what it sent."""

    def __init__(
        self,
        publisher: RawPublisher,
        equipment_paths: Mapping[str, str],
        *,
        every: int = 1,
        pace_per_s: float = 0.0,
        observe: Callable[[str, bytes], None] | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.publisher = publisher
        self.paths = dict(equipment_paths)
        self.every = every
        self.pace_per_s = pace_per_s
        self.observe = observe
        self.published = 0
        self._seq: dict[str, int] = {}
        self._topics: dict[tuple[str, str], str] = {}
        self._started = time.monotonic()
        self._paced_from = 0

    def topic(self, equipment_id: str, signal: str) -> str:
        key = (equipment_id, signal)
        if key not in self._topics:
            self._topics[key] = uns_topic(self.paths[equipment_id], "telemetry", signal)
        return self._topics[key]

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        n = len(next(iter(arrays.values())))
        seq0 = self._seq.get(equipment_id, 0)
        self._seq[equipment_id] = seq0 + n
        first = (-seq0) % self.every  # keep the phase across chunks
        topics = {signal: self.topic(equipment_id, signal) for signal in arrays}
        values = {signal: np.round(a.astype(np.float64), 4).tolist() for signal, a in arrays.items()}
        for i in range(first, n, self.every):
            ts = (start_at + timedelta(seconds=i * interval_s)).isoformat()
            for signal, topic in topics.items():
                payload = orjson.dumps({"ts": ts, "value": values[signal][i], "seq": seq0 + i})
                self._pace()
                self.publisher.publish_raw(topic, payload)
                if self.observe is not None:
                    self.observe(topic, payload)
                self.published += 1

    def _pace(self) -> None:
        """Hold the rate; after a stall (a broker outage) go on at the rate, do not burst to catch up."""
        if self.pace_per_s <= 0 or self.published % 100:
            return
        ahead = (self.published - self._paced_from) / self.pace_per_s - (time.monotonic() - self._started)
        if ahead > 0:
            time.sleep(ahead)
        elif ahead < -1.0:
            self._started, self._paced_from = time.monotonic(), self.published
