"""Serve the twin's machines over OPC UA (asyncua): ``Objects/<line>/<equipment>/{State, Temperature, …}``.

Values are written with their source timestamp, so a client that subscribes sees what a PLC gateway
would show. The server listens on loopback only unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

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
