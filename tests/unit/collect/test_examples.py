"""The example configuration files of docs/connect-a-plant.md load, and mean what the plant means."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantloop.collect.config import CollectConfigError, load_collect_config, load_opcua_mapping
from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.mqtt_publisher import uns_topic

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "src" / "plantloop" / "collect" / "examples"
DOC = ROOT / "docs" / "connect-a-plant.md"


def test_the_collect_example_loads_with_every_section_and_its_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, reference_plant: PlantDefinition
) -> None:
    monkeypatch.setenv("LEGACY_DB_PASSWORD", "s3cret")
    config = load_collect_config(EXAMPLES / "collect.yaml")
    assert config.mqtt is not None and config.mqtt.topic_filter == f"{reference_plant.enterprise.id}/#"
    legacy = config.legacy.to_source() if config.legacy else None
    assert legacy is not None and ":s3cret@" in legacy.url
    assert [(t.table, t.timezone) for t in legacy.tables] == [
        ("T_PROD_REPORT", reference_plant.site.timezone)
    ]
    assert config.jetstream is not None and config.jetstream.to_source().stream == "PLANTLOOP_EVENTS"
    mapping = config.opcua_mapping()
    assert mapping is not None and mapping.queue_size >= 1000


def test_a_missing_secret_or_a_wrong_field_is_reported_with_file_and_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGACY_DB_PASSWORD", raising=False)
    with pytest.raises(CollectConfigError) as missing:
        load_collect_config(EXAMPLES / "collect.yaml")
    assert "legacy.url: environment variable LEGACY_DB_PASSWORD is not set" in missing.value.message
    broken = tmp_path / "collect.yaml"
    broken.write_text("mqtt:\n  host: broker\n  port: 99999\n  qos: 2\n")
    with pytest.raises(CollectConfigError) as invalid:
        load_collect_config(broken)
    assert {path for path, _ in invalid.value.problems} == {"mqtt.port", "mqtt.qos"}


def test_the_opcua_example_maps_real_equipment_of_the_reference_plant(
    reference_plant: PlantDefinition,
) -> None:
    mapping = load_opcua_mapping(EXAMPLES / "opcua-mapping.yaml")
    assert {n.equipment_id for n in mapping.nodes} <= set(reference_plant.equipment)
    assert all(n.browse_path.split("/")[1] == n.equipment_id for n in mapping.nodes)


def test_the_rest_example_lands_without_a_rejected_event(
    store: OdsStore, reference_plant: PlantDefinition
) -> None:
    rest = RestIngest(Landing.for_plant(store, reference_plant))
    response, _ = rest.push("qms", "events", (EXAMPLES / "rest-events.json").read_bytes())
    assert (response["landed"], response["rejected"]) == (1, [])


def test_the_guide_shows_every_example_file_and_the_uns_topic_it_documents(
    reference_plant: PlantDefinition,
) -> None:
    text = DOC.read_text(encoding="utf-8")
    for example in EXAMPLES.iterdir():
        assert example.name in text, f"{example.name} is not explained in {DOC.name}"
    topic = uns_topic(reference_plant.equipment_paths["IM-01"], "telemetry", "temperature_c")
    assert topic in text
