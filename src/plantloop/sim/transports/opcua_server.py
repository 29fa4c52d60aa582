"""Serve the twin's machines over OPC UA (asyncua): ``Objects/<line>/<equipment>/{State, Temperature, …}``.

Values are written with their source timestamp, so a client that subscribes sees what a PLC gateway
would show. The server listens on loopback only unless told otherwise. :class:`OpcUaTelemetrySink` feeds
the simulator's telemetry into it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.server.server import Server

NAMESPACE = "urn:plantloop:sim"
#: Variables per machine: name → (initial value, OPC UA type).
VARIABLES: dict[str, tuple[Any, ua.VariantType]] = {
    "State": ("IDLE", ua.VariantType.String),
    "Temperature": (0.0, ua.VariantType.Double),
    "Vibration": (0.0, ua.VariantType.Double),
    "Current": (0.0, ua.VariantType.Double),
    "GoodCount": (0, ua.VariantType.Int64),
}


class TwinOpcUaServer:
    """``machines`` = (line id, equipment id) pairs; :meth:`write` sets values with a source timestamp."""

    def __init__(
        self, machines: Iterable[tuple[str, str]], *, host: str = "127.0.0.1", port: int = 4840
    ) -> None:
        self.machines = list(machines)
        self.endpoint = f"opc.tcp://{host}:{port}/plantloop/"
        self.server = Server()
        self.nodes: dict[tuple[str, str], Any] = {}
        self.namespace_index = 0

    async def start(self) -> None:
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        self.server.set_server_name("plantloop twin")
        self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = self.namespace_index = await self.server.register_namespace(NAMESPACE)
        objects = self.server.nodes.objects
        lines: dict[str, Any] = {}
        for line_id, equipment_id in self.machines:
            if line_id not in lines:
                lines[line_id] = await objects.add_folder(idx, line_id)
            machine = await lines[line_id].add_object(idx, equipment_id)
            for name, (initial, vtype) in VARIABLES.items():
                self.nodes[(equipment_id, name)] = await machine.add_variable(
                    idx, name, ua.Variant(initial, vtype)
                )
        await self.server.start()

    async def write(self, equipment_id: str, values: dict[str, Any], source_timestamp: datetime) -> None:
        for name, value in values.items():
            vtype = VARIABLES[name][1]
            stamp: Any = (
                source_timestamp  # asyncua's stubs name its own DateTime alias; a datetime is what it takes
            )
            data = ua.DataValue(ua.Variant(value, vtype), SourceTimestamp=stamp, ServerTimestamp=stamp)
            await self.nodes[(equipment_id, name)].write_value(data)

    async def stop(self) -> None:
        await self.server.stop()


#: Simulator signal → the machine's OPC UA variable.
SIGNAL_VARIABLES = {"temperature_c": "Temperature", "vibration_mm_s": "Vibration", "current_a": "Current"}


class OpcUaTelemetrySink:
    """A :class:`~plantloop.sim.telemetry.TelemetrySink` that writes every sample to the twin server's
    variables with its source timestamp — a burst per chunk, as a PLC gateway replaying a buffer would.

    The server runs on its own asyncio ``loop`` (thread); :meth:`write` is called from the simulator's
    thread and waits until the chunk is written. Machines the server does not serve are skipped.
    """

    def __init__(self, server: TwinOpcUaServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.served = {equipment_id for _line, equipment_id in server.machines}
        self.written = 0

    def write(
        self, equipment_id: str, start_at: datetime, interval_s: float, arrays: Mapping[str, np.ndarray]
    ) -> None:
        if equipment_id not in self.served:
            return
        series = {
            SIGNAL_VARIABLES[s]: a.astype(float).tolist() for s, a in arrays.items() if s in SIGNAL_VARIABLES
        }
        n = len(next(iter(arrays.values())))

        async def burst() -> None:
            for i in range(n):
                stamp = start_at + timedelta(seconds=i * interval_s)
                await self.server.write(equipment_id, {v: values[i] for v, values in series.items()}, stamp)

        asyncio.run_coroutine_threadsafe(burst(), self.loop).result()
        self.written += n * len(series)
