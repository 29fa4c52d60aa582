"""OPC UA connector (asyncua): browse, map nodes to equipment and tags by configuration, subscribe, resume.

The mapping (:mod:`~plantloop.collect.connectors.opcua_mapping`, file format in
:mod:`plantloop.collect.config`) names each variable's equipment and tag.

Data changes arrive through one subscription with a large queue per monitored item (nothing is dropped
between publish cycles) and land in batches. On a lost connection the collector reconnects with back-off
and subscribes again; the first notification after that repeats the current value, which has the same
event id (equipment, tag, source timestamp) and is dropped as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.uaerrors import UaError

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.opcua_mapping import NodeMapping, OpcUaMapping
from plantloop.collect.contracts import SourceKind
from plantloop.collect.errors import InvalidSourceInput, SourceUnavailable
from plantloop.collect.errors import QuarantineReason as R
from plantloop.collect.landing import Landing
from plantloop.collect.timestamps import BadTimestamp, parse_timestamp
from plantloop.kernel.ids import deterministic_id

log = logging.getLogger(__name__)
PARSER = "opcua.value"
EVENT_TYPE = "TelemetrySampled"
#: Twin variable → tag (``sim/transports/opcua_server.py`` layout).
TWIN_TAGS = {
    "State": "state",
    "Temperature": "temperature_c",
    "Vibration": "vibration_mm_s",
    "Current": "current_a",
    "GoodCount": "qty_good_total",
}


async def browse(endpoint: str, *, max_depth: int = 3) -> list[tuple[str, str]]:
    """Every variable below Objects up to ``max_depth``: (browse path, node id). A server that cannot be
    reached, or an endpoint that is no ``opc.tcp://host:port`` URL, is :class:`SourceUnavailable`."""
    try:
        return await _browse(endpoint, max_depth)
    except (OSError, ValueError, TimeoutError, UaError) as exc:
        raise SourceUnavailable(
            f"cannot browse the OPC UA server at {endpoint!r}: {str(exc) or type(exc).__name__}",
            endpoint=endpoint,
        ) from None


async def _browse(endpoint: str, max_depth: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    async with Client(endpoint, timeout=5) as client:

        async def walk(node: Any, prefix: list[str], depth: int) -> None:
            for child in await node.get_children():
                name = (await child.read_browse_name()).Name
                if name == "Server" and not prefix:
                    continue
                if await child.read_node_class() == ua.NodeClass.Variable:
                    out.append(("/".join([*prefix, name]), child.nodeid.to_string()))
                elif depth < max_depth:
                    await walk(child, [*prefix, name], depth + 1)

        await walk(client.nodes.objects, [], 1)
    return out


def twin_mapping(endpoint: str, browsed: list[tuple[str, str]], **kw: Any) -> OpcUaMapping:
    """A mapping for the twin layout ``<line>/<equipment>/<Variable>`` (a draft to edit for a real plant)."""
    nodes = []
    for path, _node_id in browsed:
        parts = path.split("/")
        if len(parts) == 3 and parts[2] in TWIN_TAGS:
            nodes.append(NodeMapping(path, parts[1], TWIN_TAGS[parts[2]]))
    return OpcUaMapping(endpoint, nodes, **kw)


def parse_opcua_value(
    batch: CandidateBatch,
    source: str,
    source_key: str | None,
    raw: bytes,
    quarantine_id: int | None = None,
    *,
    equipment_paths: dict[str, str] | None = None,
    received_at: datetime | None = None,
) -> None:
    """``raw`` = JSON {equipment_id, tag, value, source_timestamp, status}."""
    try:
        item = json.loads(raw)
        equipment_id, tag, ts = item["equipment_id"], item["tag"], parse_timestamp(item["source_timestamp"])
    except (ValueError, KeyError, TypeError, BadTimestamp) as exc:
        batch.reject(
            R.MALFORMED,
            f"value could not be read: {exc}"[:300],
            source_key=source_key,
            raw=raw,
            entity="telemetry",
            quarantine_id=quarantine_id,
        )
        return
    path = (equipment_paths or {}).get(equipment_id)
    if path is None:
        batch.reject(
            R.UNKNOWN_EQUIPMENT,
            f"unknown equipment {equipment_id!r}",
            source_key=source_key,
            raw=raw,
            entity="telemetry",
            quarantine_id=quarantine_id,
        )
        return
    payload = {"tag": tag, "value": item.get("value"), "status": item.get("status", "Good")}
    batch.add(
        event_id=deterministic_id(source, EVENT_TYPE, equipment_id, tag, ts),
        entity="telemetry",
        type=EVENT_TYPE,
        occurred_at=ts,
        recorded_at=received_at or ts,
        payload_json=json.dumps(payload, separators=(",", ":"), default=str),
        source_key=source_key,
        raw=raw,
        equipment_path=path,
        subject=tag,
        quarantine_id=quarantine_id,
    )


@dataclass
class OpcUaStats:
    notifications: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    connects: int = 0
    last_error: str | None = None


@dataclass
class _Handler:
    by_node: dict[str, NodeMapping]
    buffer: list[tuple[str, bytes]] = field(default_factory=list)

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        mapping = self.by_node.get(node.nodeid.to_string())
        if mapping is None:
            return
        value = data.monitored_item.Value
        ts = value.SourceTimestamp or value.ServerTimestamp or datetime.now(UTC)
        status = value.StatusCode.name if value.StatusCode is not None else "Good"
        raw = {
            "node": node.nodeid.to_string(),
            "equipment_id": mapping.equipment_id,
            "tag": mapping.tag,
            "value": val,
            "source_timestamp": ts.replace(tzinfo=ts.tzinfo or UTC).isoformat(),
            "status": status,
        }
        self.buffer.append((mapping.browse_path, json.dumps(raw, default=str).encode()))


class OpcUaCollector:
    """Runs in an asyncio loop: ``await collector.run(stop_event)``."""

    def __init__(self, mapping: OpcUaMapping, landing: Landing, equipment_paths: dict[str, str]) -> None:
        self.mapping = mapping
        self.landing = landing
        self.equipment_paths = equipment_paths
        self.stats = OpcUaStats()
        self.connected = False

    async def _resolve(self, client: Client) -> dict[str, Any]:
        idx_cache: dict[str, Any] = {}
        objects = client.nodes.objects
        for node in self.mapping.nodes:
            current = objects
            for name in node.browse_path.split("/"):
                children = await current.get_children()
                found = None
                for child in children:
                    if (await child.read_browse_name()).Name == name:
                        found = child
                        break
                if found is None:
                    raise InvalidSourceInput(f"OPC UA node {node.browse_path!r} not found")
                current = found
            idx_cache[node.browse_path] = current
        return idx_cache

    def _flush(self, handler: _Handler) -> None:
        if not handler.buffer:
            return
        items, handler.buffer = handler.buffer, []
        batch = CandidateBatch(parser=PARSER)
        now = self.landing.store.clock.now()
        for key, raw in items:
            parse_opcua_value(
                batch, self.mapping.source, key, raw, equipment_paths=self.equipment_paths, received_at=now
            )
        result = self.landing.land(batch, source=self.mapping.source, kind=SourceKind.OPCUA)
        self.stats.notifications += len(items)
        self.stats.landed += result.landed
        self.stats.duplicates += result.duplicates
        self.stats.quarantined += result.quarantined

    async def run(
        self, stop: asyncio.Event, *, flush_interval_s: float = 0.2, max_backoff_s: float = 5.0
    ) -> None:
        backoff = 0.5
        while not stop.is_set():
            handler = _Handler({})
            try:
                async with Client(self.mapping.endpoint, timeout=5) as client:
                    nodes = await self._resolve(client)
                    handler.by_node = {
                        n.nodeid.to_string(): m
                        for m in self.mapping.nodes
                        for p, n in nodes.items()
                        if p == m.browse_path
                    }
                    sub = await client.create_subscription(self.mapping.publishing_interval_ms, handler)
                    await sub.subscribe_data_change(list(nodes.values()), queuesize=self.mapping.queue_size)
                    self.stats.connects += 1
                    self.connected = True
                    self.stats.last_error = None
                    backoff = 0.5
                    while not stop.is_set():
                        await asyncio.sleep(flush_interval_s)
                        await asyncio.to_thread(self._flush, handler)
                        await client.check_connection()
                    await asyncio.to_thread(self._flush, handler)
            except (OSError, TimeoutError, ConnectionError, UaError) as exc:
                self.connected = False
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("OPC UA connection lost (%s); reconnecting in %.1f s", exc, backoff)
                await asyncio.to_thread(self._flush, handler)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(max_backoff_s, backoff * 2)
