"""Seeding the crosswalk from the plant definition, the golden source of master data.

Every equipment, material, person and supplier of :class:`PlantDefinition` becomes a golden record whose
canonical id is its plant id, mapped from system ``plant``. Re-seeding is idempotent; a changed plant
file produces new golden versions only where attributes changed.
"""

from __future__ import annotations

import json
from typing import Any

from plantloop.dataplatform.governance.crosswalk import Crosswalk
from plantloop.dataplatform.governance.crosswalk_matching import normalize_code
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity, MatchRule, crosswalk_table
from plantloop.dataplatform.governance.sql_text import literal, values_sql
from plantloop.mes.masterdata.schema import PlantDefinition


def plant_master_records(plant: PlantDefinition) -> dict[MasterEntity, list[tuple[str, dict[str, Any]]]]:
    """(id, attributes) of every master record of the plant, by entity."""
    return {
        MasterEntity.EQUIPMENT: [
            (
                eq.id,
                {
                    "name": eq.name,
                    "work_center_id": plant.work_center_of[eq.id],
                    "line_id": plant.line_of[eq.id],
                    "equipment_path": plant.equipment_paths[eq.id],
                },
            )
            for eq in plant.equipment.values()
        ],
        MasterEntity.MATERIAL: [
            (m.id, {"name": m.name, "kind": m.kind.value, "uom": m.uom, "family": m.family})
            for m in plant.materials
        ],
        MasterEntity.PERSON: [
            (p.id, {"name": p.name, "shift_id": p.shift_id, "line_id": p.line_id}) for p in plant.personnel
        ],
        MasterEntity.SUPPLIER: [
            (s.id, {"name": s.name, "lead_time_days": s.lead_time_days}) for s in plant.suppliers
        ],
    }


def seed_from_plant(
    crosswalk: Crosswalk, plant: PlantDefinition, system: str = "plant"
) -> dict[MasterEntity, int]:
    """Register the plant's master records as golden records; returns how many per entity.

    Bulk statements (one per table and entity), so seeding the reference plant takes milliseconds.
    """
    con = crosswalk.con
    now = crosswalk.clock.now()
    counts: dict[MasterEntity, int] = {}
    for entity, items in plant_master_records(plant).items():
        counts[entity] = len(items)
        if not items:
            continue
        codes = ", ".join(literal(code) for code, _ in items)
        con.execute(
            f"DELETE FROM crosswalk_observation WHERE entity = ? AND system = ? AND source_code IN ({codes})",
            [entity.value, system],
        )
        observations = [
            (entity.value, system, code, json.dumps(attrs, sort_keys=True), now) for code, attrs in items
        ]
        con.execute(f"INSERT INTO crosswalk_observation VALUES {values_sql(observations)}")
        table = crosswalk_table(entity)
        mapped = {
            str(r[0])
            for r in con.execute(
                f"SELECT source_code FROM {table} WHERE is_current AND system = ? "
                f"AND source_code IN ({codes})",
                [system],
            ).fetchall()
        }
        rules = crosswalk.config.rules_for(entity)
        new_rows = [
            (
                system,
                code,
                normalize_code(code, rules.strip_leading_zeros),
                code,
                MatchRule.GOLDEN.value,
                None,
                1,
                now,
                None,
                True,
                crosswalk.actor,
                "plant file",
            )
            for code, _ in items
            if code not in mapped
        ]
        if new_rows:
            con.execute(f"INSERT INTO {table} VALUES {values_sql(new_rows)}")
        crosswalk.refresh_golden_many(entity, [code for code, _ in items])
    return counts
