"""BOM explosion: one set of rules for the MES and the twin, so that the twin executes what the MES lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plantloop.mes.domain.bom import CHILD_LEAD_TIME, child_qty, explode
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim import orders as sim_orders


def test_child_quantity_is_rounded_up_without_float_noise() -> None:
    assert child_qty(10, 0.3) == 3  # 10 × 0.3 is 3.0000000000000004 in floats
    assert child_qty(7, 0.5) == 4
    assert child_qty(3, 2) == 6


@pytest.mark.parametrize("qty", [1, 7, 10, 123])
def test_the_twin_explodes_every_product_as_the_mes_does(reference_plant: PlantDefinition, qty: int) -> None:
    due = datetime(2026, 3, 2, 12, tzinfo=UTC)
    due_s = 100_000.0
    products = [m for m in reference_plant.routings_by_material if m in reference_plant.boms_by_material]
    assert products, "the reference plant has products with a BOM"
    checked = 0
    for material_id in products:
        mes = explode(reference_plant, "SO-1", material_id, qty, due)
        twin = sim_orders.explode(reference_plant, "SO-1", material_id, qty, due_s, 1)[1:]
        assert sorted((c.work_order_id, c.material_id, c.qty) for c in mes) == sorted(
            (w.id, w.material_id, w.qty) for w in twin
        )
        for child, wo in zip(
            sorted(mes, key=lambda c: c.work_order_id), sorted(twin, key=lambda w: w.id), strict=True
        ):
            depth = child.work_order_id.count("~")
            assert (due - child.due_at) == depth * CHILD_LEAD_TIME
            assert due_s - wo.due_s == depth * CHILD_LEAD_TIME.total_seconds()
            checked += 1
    assert checked > 0
