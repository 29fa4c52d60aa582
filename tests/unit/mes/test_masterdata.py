"""The plant definition: the reference plant meets the floor; bad files fail with file, path, reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plantloop.mes.masterdata import PlantDefinition, PlantFileError, load_plant
from plantloop.mes.masterdata.loader import REFERENCE_PLANT
from plantloop.mes.masterdata.schema import MaterialKind


def test_reference_plant_has_the_promised_size(reference_plant: PlantDefinition) -> None:
    assert len(reference_plant.lines) >= 3
    assert len(reference_plant.equipment) >= 15
    assert len(reference_plant.products) >= 20
    for product in reference_plant.products:
        assert 3 <= len(reference_plant.routings_by_material[product.id].operations) <= 8
    suppliers_used = {
        s for m in reference_plant.materials if m.kind is MaterialKind.PURCHASED for s in m.supplier_ids
    }
    assert len(suppliers_used) >= 3
    assert 2 <= len(reference_plant.calendar.shifts) <= 3


def test_reference_plant_bom_is_multi_level(reference_plant: PlantDefinition) -> None:
    intermediates = {m.id for m in reference_plant.materials if m.kind is MaterialKind.INTERMEDIATE}
    products_with_intermediates = [
        b.material_id
        for b in reference_plant.boms
        if any(i.material_id in intermediates for i in b.items)
        and reference_plant.materials_by_id[b.material_id].kind is MaterialKind.PRODUCT
    ]
    assert intermediates and products_with_intermediates
    for sub in intermediates:
        assert sub in reference_plant.boms_by_material


def test_equipment_paths_follow_the_isa95_hierarchy(reference_plant: PlantDefinition) -> None:
    path = reference_plant.equipment_paths["IM-01"]
    assert path.split("/") == ["ACME", "SZ01", "A-FAB", "FAB", "FAB-MOLD", "IM-01"]
    assert reference_plant.line_of["AS-21"] == "L2"
    assert reference_plant.work_center_of["AS-21"] == "L2-ASSY"


def test_night_shift_crossing_midnight_lasts_eight_hours(reference_plant: PlantDefinition) -> None:
    night = next(s for s in reference_plant.calendar.shifts if s.id == "C")
    assert night.duration_h == 8


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _reference_raw() -> dict[str, object]:
    raw = yaml.safe_load(REFERENCE_PLANT.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def test_unknown_work_center_in_a_routing_is_reported_with_its_path(tmp_path: Path) -> None:
    raw = _reference_raw()
    raw["routings"][0]["operations"][0]["work_center_ids"] = ["NOPE"]  # type: ignore[index]
    with pytest.raises(PlantFileError) as info:
        load_plant(_write(tmp_path, raw))
    assert "routings[0].operations[0]: unknown work center 'NOPE'" in str(info.value)
    assert str(tmp_path / "plant.yaml") in str(info.value)


def test_a_wrong_type_names_the_field_path(tmp_path: Path) -> None:
    raw = _reference_raw()
    raw["routings"][1]["operations"][0]["run_time_s_per_unit"] = "fast"  # type: ignore[index]
    with pytest.raises(PlantFileError) as info:
        load_plant(_write(tmp_path, raw))
    paths = [p for p, _ in info.value.problems]
    assert "routings.1.operations.0.run_time_s_per_unit" in paths


def test_a_bom_cycle_is_refused(tmp_path: Path) -> None:
    raw = _reference_raw()
    boms = raw["boms"]
    assert isinstance(boms, list)
    first = boms[0]["material_id"]
    component = boms[0]["items"][0]["material_id"]
    boms.append({"material_id": component, "items": [{"material_id": first, "qty_per": 1}]})
    with pytest.raises(PlantFileError, match="BOM cycle"):
        load_plant(_write(tmp_path, raw))


def test_spec_limits_must_bracket_the_target(tmp_path: Path) -> None:
    raw = _reference_raw()
    raw["routings"][0]["operations"][0]["parameters"] = [  # type: ignore[index]
        {"name": "melt_temperature_c", "target": 300, "lsl": 205, "usl": 225}
    ]
    with pytest.raises(PlantFileError, match="lsl <= target <= usl"):
        load_plant(_write(tmp_path, raw))


def test_broken_yaml_and_missing_file_give_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: [unclosed", encoding="utf-8")
    with pytest.raises(PlantFileError, match="not valid YAML"):
        load_plant(bad)
    with pytest.raises(PlantFileError, match="file not found"):
        load_plant(tmp_path / "missing.yaml")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42", encoding="utf-8")
    with pytest.raises(PlantFileError, match="mapping"):
        load_plant(scalar)


def test_unknown_keys_are_refused_not_ignored(tmp_path: Path) -> None:
    raw = _reference_raw()
    raw["enterprise"]["colour"] = "blue"  # type: ignore[index]
    with pytest.raises(PlantFileError) as info:
        load_plant(_write(tmp_path, raw))
    assert any(p == "enterprise.colour" for p, _ in info.value.problems)
