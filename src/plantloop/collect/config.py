"""Configuration files of collection: which sources one plant's collector connects to, and how.

``collect.yaml`` (every section optional; ``docs/connect-a-plant.md`` explains each field)::

    mqtt:        {host, port, source, client_id, topic_filter, extra_filters, max_inflight, batch_size,
                  session_expiry_s}
    opcua:       {mapping: opcua-mapping.yaml}            # or the mapping inline: endpoint, nodes, …
    legacy:      {url, source, poll_interval_s, batch_size, tables: [{table, key_column, time_column,
                  timezone, schema}]}
    jetstream:   {url, stream, subject_prefix, durable, source, batch_size}

An OPC UA mapping file (``opcua-mapping.yaml``)::

    endpoint: opc.tcp://10.0.0.5:4840/plant/
    source: opcua:plant
    queue_size: 10000                 # per monitored item: changes between publish cycles are kept
    publishing_interval_ms: 100
    nodes:
      - {browse_path: FAB/IM-01/Temperature, equipment_id: IM-01, tag: temperature_c}

``${NAME}`` anywhere in a string is replaced by the environment variable ``NAME`` (for passwords: keep them
out of the file). Every problem is reported as ``file: path: reason`` (:class:`CollectConfigError`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plantloop.collect.connectors.legacy_db import LegacySourceConfig, LegacyTableConfig
from plantloop.collect.connectors.mqtt import MqttSourceConfig
from plantloop.collect.connectors.opcua_mapping import NodeMapping, OpcUaMapping
from plantloop.collect.errors import InvalidSourceInput

if TYPE_CHECKING:
    from plantloop.collect.connectors.jetstream import JetStreamSourceConfig

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SOURCE = r"^[a-z]+:[A-Za-z0-9_.\-/]{1,100}$"


class CollectConfigError(InvalidSourceInput):
    """A configuration file that cannot be read or does not validate; ``problems`` are (path, reason)."""

    code = "invalid_collect_config"

    def __init__(self, file: Path, problems: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {file}: {path}: {reason}" for path, reason in problems)
        super().__init__(f"invalid configuration {file}:\n{lines}", file=str(file), problems=problems)
        self.file = file
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttSection(_Section):
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    source: str = Field(default="mqtt:uns", pattern=_SOURCE)
    client_id: str = Field(default="plantloop-collect", min_length=1, max_length=128)
    topic_filter: str = "#"
    #: More subscriptions, e.g. ``spBv1.0/<group>/#`` for Sparkplug B edge nodes.
    extra_filters: tuple[str, ...] = ()
    max_inflight: int = Field(default=8000, ge=1, le=65535)
    batch_size: int = Field(default=2000, ge=1, le=65535)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)

    def to_source(self) -> MqttSourceConfig:
        return MqttSourceConfig(**self.model_dump())


class NodeSection(_Section):
    browse_path: str = Field(min_length=1, description="Below Objects, browse names joined by '/'.")
    equipment_id: str = Field(min_length=1)
    tag: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")


class OpcUaSection(_Section):
    endpoint: str = Field(pattern=r"^opc\.tcp://")
    nodes: list[NodeSection] = Field(min_length=1)
    source: str = Field(default="opcua:plant", pattern=_SOURCE)
    queue_size: int = Field(default=10_000, ge=1, le=1_000_000)
    publishing_interval_ms: int = Field(default=100, ge=10, le=60_000)

    def to_mapping(self) -> OpcUaMapping:
        nodes = [NodeMapping(n.browse_path, n.equipment_id, n.tag) for n in self.nodes]
        return OpcUaMapping(self.endpoint, nodes, self.source, self.queue_size, self.publishing_interval_ms)


class OpcUaRef(_Section):
    mapping: Path


class LegacyTableSection(_Section):
    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
    key_column: str = "RecID"
    time_column: str | None = "ReportTime"
    timezone: str = "UTC"
    schema_: str | None = Field(default=None, alias="schema")


class LegacySection(_Section):
    url: str = Field(description="SQLAlchemy URL of the foreign database (read-only access is enough).")
    source: str = Field(default="legacy:mes", pattern=_SOURCE)
    poll_interval_s: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    tables: list[LegacyTableSection] = Field(min_length=1)

    def to_source(self) -> LegacySourceConfig:
        tables = tuple(
            LegacyTableConfig(t.table, t.key_column, t.time_column, t.timezone, t.schema_)
            for t in self.tables
        )
        return LegacySourceConfig(self.url, tables, self.source, self.poll_interval_s, self.batch_size)


class JetStreamSection(_Section):
    url: str = Field(pattern=r"^(nats|tls)://")
    stream: str = Field(default="PLANTLOOP_EVENTS", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    subject_prefix: str = Field(default="plantloop.events", pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
    durable: str = Field(default="plantloop-collect", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    source: str = Field(default="nats:events", pattern=_SOURCE)
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    duplicate_window_s: float = Field(default=600.0, gt=0)

    def to_source(self) -> JetStreamSourceConfig:
        from plantloop.collect.connectors.jetstream import JetStreamSourceConfig

        return JetStreamSourceConfig(**self.model_dump())


class CollectConfig(_Section):
    mqtt: MqttSection | None = None
    opcua: OpcUaSection | OpcUaRef | None = None
    legacy: LegacySection | None = None
    jetstream: JetStreamSection | None = None
    #: Where the file was read from (relative paths inside it are resolved against its folder).
    base_dir: Path = Field(default=Path("."), exclude=True)

    def opcua_mapping(self) -> OpcUaMapping | None:
        if isinstance(self.opcua, OpcUaRef):
            path = self.opcua.mapping
            return load_opcua_mapping(path if path.is_absolute() else self.base_dir / path)
        return self.opcua.to_mapping() if self.opcua is not None else None


def _substitute(value: Any, file: Path, path: str, problems: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):

        def env(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append((path, f"environment variable {name} is not set"))
                return ""
            return os.environ[name]

        return _ENV.sub(env, value)
    if isinstance(value, dict):
        return {
            k: _substitute(v, file, f"{path}.{k}" if path else str(k), problems) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, file, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CollectConfigError(path, [("", "file not found")]) from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CollectConfigError(path, [("", f"not valid YAML: {exc}")]) from None
    if not isinstance(raw, dict):
        raise CollectConfigError(path, [("", "top level must be a mapping")])
    problems: list[tuple[str, str]] = []
    doc = _substitute(raw, path, "", problems)
    if problems:
        raise CollectConfigError(path, problems)
    return dict(doc)


def _validated(model: type[BaseModel], doc: dict[str, Any], path: Path, **extra: Any) -> Any:
    try:
        return model.model_validate({**doc, **extra})
    except ValidationError as exc:
        problems = [
            (".".join(str(p) for p in err["loc"]) or "(document)", err["msg"].removeprefix("Value error, "))
            for err in exc.errors()
        ]
        raise CollectConfigError(path, problems) from None


def load_collect_config(path: Path | str) -> CollectConfig:
    path = Path(path)
    config: CollectConfig = _validated(CollectConfig, _read(path), path, base_dir=path.parent)
    config.opcua_mapping()  # a referenced mapping file is checked now, not when the collector starts
    return config


def load_opcua_mapping(path: Path | str) -> OpcUaMapping:
    path = Path(path)
    section: OpcUaSection = _validated(OpcUaSection, _read(path), path)
    return section.to_mapping()
