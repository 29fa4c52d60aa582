"""BOM explosion: one set of rules for the MES and the twin, so that the twin executes what the MES lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plantloop.mes.domain.bom import CHILD_LEAD_TIME, child_qty, explode
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim import orders as sim_orders


def test_child_quantity_is_rounded_up_without_float_noise() -> None:
    assert child_qty(50, 1.1) == 55  # 50 × 1.1 is 55.00000000000001 in floats
    assert child_qty(7, 0.5) == 4
    assert child_qty(3, 2) == 6


def _with_qty_per(plant: PlantDefinition, qty_per: float) -> PlantDefinition:
    """The plant with every BOM item of a made material needing ``qty_per`` units per parent unit."""
    data = plant.model_dump()
    for bom in data["boms"]:
        for item in bom["items"]:
            if item["material_id"] in plant.routings_by_material:
                item["qty_per"] = qty_per
    return PlantDefinition.model_validate(data)


@pytest.mark.parametrize(
    ("qty", "qty_per"), [(1, 1.0), (7, 1.0), (123, 1.0), (10, 0.3), (50, 1.1), (7, 0.5), (3, 2.0)]
)
def test_the_twin_explodes_every_product_as_the_mes_does(
    reference_plant: PlantDefinition, qty: int, qty_per: float
) -> None:
    plant = _with_qty_per(reference_plant, qty_per)
    due = datetime(2026, 3, 2, 12, tzinfo=UTC)
    due_s = 100_000.0
    products = [m for m in plant.routings_by_material if m in plant.boms_by_material]
    assert products, "the reference plant has products with a BOM"
    checked = 0
    for material_id in products:
        mes = explode(plant, "SO-1", material_id, qty, due)
        twin = sim_orders.explode(plant, "SO-1", material_id, qty, due_s, 1)[1:]
        assert sorted((c.work_order_id, c.material_id, c.qty) for c in mes) == sorted(
            (w.id, w.material_id, w.qty) for w in twin
        )
        for child, wo in zip(
            sorted(mes, key=lambda c: c.work_order_id), sorted(twin, key=lambda w: w.id), strict=True
        ):
            depth = child.work_order_id.count("~")
            assert (due - child.due_at) == depth * CHILD_LEAD_TIME
            assert due_s - wo.due_s == depth * CHILD_LEAD_TIME.total_seconds()
            assert child.qty == child_qty(qty, qty_per)
            checked += 1
    assert checked > 0
