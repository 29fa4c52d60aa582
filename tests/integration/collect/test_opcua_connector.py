"""OPC UA against a real asyncua server: browse, map, subscribe, and resume after the server restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from plantloop.collect.connectors.opcua import OpcUaCollector, browse, twin_mapping
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.opcua_server import TwinOpcUaServer
from tests.servers import free_port

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


async def _until(predicate: object, timeout_s: float = 20.0) -> bool:
    for _ in range(int(timeout_s / 0.1)):
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


def _temperatures(store: OdsStore) -> list[float]:
    if "ods_opcua__telemetry" not in store.ods_tables():
        return []
    rows = store.query(
        "SELECT CAST(payload->>'value' AS DOUBLE) FROM ods_opcua__telemetry "
        "WHERE subject = 'temperature_c' AND occurred_at BETWEEN ? AND ? ORDER BY occurred_at",
        [T0, T0 + timedelta(hours=1)],  # not the servers' initial values (stamped at start-up)
    )
    return [r[0] for r in rows]


def test_mapped_nodes_are_collected_and_collection_resumes_after_a_server_restart(
    landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    async def scenario() -> None:
        machines = [(reference_plant.line_of[e], e) for e in ("IM-01", "PR-01")]
        port = free_port()
        server = TwinOpcUaServer(machines, port=port)
        await server.start()
        browsed = await browse(server.endpoint)
        assert "FAB/IM-01/Temperature" in {path for path, _node in browsed}
        mapping = twin_mapping(server.endpoint, browsed, source="opcua:twin")
        assert len(mapping.nodes) == 10
        collector = OpcUaCollector(mapping, landing, dict(reference_plant.equipment_paths))
        stop = asyncio.Event()
        task = asyncio.create_task(collector.run(stop, flush_interval_s=0.1, max_backoff_s=1.0))
        assert await _until(lambda: collector.stats.connects == 1)
        for i in range(10):
            await server.write("IM-01", {"Temperature": 200.0 + i}, T0 + timedelta(seconds=i))
            await asyncio.sleep(0.15)
        assert await _until(lambda: len(_temperatures(store)) == 10)
        await server.stop()
        server = TwinOpcUaServer(machines, port=port)
        await server.start()
        assert await _until(lambda: collector.stats.connects == 2)
        for i in range(10, 15):
            await server.write("IM-01", {"Temperature": 200.0 + i}, T0 + timedelta(seconds=i))
            await asyncio.sleep(0.15)
        assert await _until(lambda: len(_temperatures(store)) == 15)
        stop.set()
        await task
        await server.stop()
        assert _temperatures(store) == [200.0 + i for i in range(15)]

    asyncio.run(scenario())
