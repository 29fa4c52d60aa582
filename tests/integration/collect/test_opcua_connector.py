"""OPC UA against a real asyncua server fed by the simulator: browse, map, subscribe without losing a change
in a burst, and resume after the server restarts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from plantloop.collect.connectors.opcua import OpcUaCollector, browse, twin_mapping
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.run import run_simulation
from plantloop.sim.scenario import ScenarioConfig
from plantloop.sim.transports.opcua_server import OpcUaTelemetrySink, TwinOpcUaServer
from tests.servers import free_port

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)
MACHINES = ("IM-01", "PR-01")


async def _until(predicate: Callable[[], bool], timeout_s: float = 40.0) -> bool:
    for _ in range(int(timeout_s / 0.1)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


def _rows(store: OdsStore, since: datetime = T0) -> int:
    """Rows of the simulated hour (not the values the servers stamp with the wall clock at start-up)."""
    if "ods_opcua__telemetry" not in store.ods_tables():
        return 0
    sql = "SELECT count(*) FROM ods_opcua__telemetry WHERE occurred_at >= ? AND occurred_at < ?"
    return int(store.query(sql, [since, T0 + timedelta(hours=2)])[0][0])


def test_every_simulated_sample_is_collected_over_opcua_and_collection_resumes_after_a_restart(
    landing: Landing, store: OdsStore, reference_plant: PlantDefinition
) -> None:
    async def scenario() -> None:
        machines = [(reference_plant.line_of[e], e) for e in MACHINES]
        port = free_port()
        server = TwinOpcUaServer(machines, port=port)
        await server.start()
        browsed = await browse(server.endpoint)
        assert "FAB/IM-01/Temperature" in {path for path, _node in browsed}
        mapping = twin_mapping(server.endpoint, browsed, source="opcua:twin")
        assert len(mapping.nodes) == 5 * len(MACHINES)
        collector = OpcUaCollector(mapping, landing, dict(reference_plant.equipment_paths))
        stop = asyncio.Event()
        task = asyncio.create_task(collector.run(stop, flush_interval_s=0.1, max_backoff_s=1.0))
        assert await _until(lambda: collector.stats.connects == 1)

        # Half an hour of the twin at 0.1 Hz, written in one burst per machine: far more changes per
        # variable than publish cycles, so only the monitored items' queues keep them all.
        sink = OpcUaTelemetrySink(server, asyncio.get_running_loop())
        config = ScenarioConfig(days=1 / 48, telemetry_hz=0.1, telemetry_chunk_s=1800, start_at=T0)
        await asyncio.to_thread(run_simulation, config, None, sink, plant=reference_plant)
        assert sink.written == 180 * 3 * len(MACHINES)
        assert await _until(lambda: _rows(store) == sink.written), (_rows(store), sink.written)

        await server.stop()  # the PLC gateway goes away; the collector keeps trying
        server = TwinOpcUaServer(machines, port=port)
        await server.start()
        assert await _until(lambda: collector.stats.connects == 2)
        later = T0 + timedelta(hours=1)
        for i in range(5):
            await server.write("IM-01", {"Temperature": 200.0 + i}, later + timedelta(seconds=i))
        assert await _until(lambda: _rows(store, later) == 5)
        stop.set()
        await task
        await server.stop()

    asyncio.run(scenario())
    rows = store.query("SELECT count(*), count(DISTINCT event_id) FROM ods_opcua__telemetry")
    assert rows[0][0] == rows[0][1]  # the restart's repeated current values were dropped as duplicates
    assert threading.active_count() < 50
