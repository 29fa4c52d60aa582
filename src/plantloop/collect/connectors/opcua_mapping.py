"""The OPC UA node mapping: which server variables are which equipment's tags (no asyncua import here).

A mapping file is read by :func:`plantloop.collect.config.load_opcua_mapping` (format in
:mod:`plantloop.collect.config`); ``plantloop collect opcua-browse ENDPOINT --out FILE`` writes a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class NodeMapping:
    browse_path: str  # below Objects, browse names without namespace, joined by '/'
    equipment_id: str
    tag: str


@dataclass(frozen=True)
class OpcUaMapping:
    endpoint: str
    nodes: list[NodeMapping] = field(default_factory=list)
    source: str = "opcua:plant"
    #: Per monitored item: how many value changes the server keeps between two publish cycles.
    queue_size: int = 10_000
    publishing_interval_ms: int = 100

    @classmethod
    def load(cls, path: Path | str) -> OpcUaMapping:
        from plantloop.collect.config import load_opcua_mapping

        return load_opcua_mapping(path)

    def to_yaml(self) -> str:
        doc = {
            "endpoint": self.endpoint,
            "source": self.source,
            "queue_size": self.queue_size,
            "publishing_interval_ms": self.publishing_interval_ms,
            "nodes": [n.__dict__ for n in self.nodes],
        }
        return yaml.safe_dump(doc, sort_keys=False)
