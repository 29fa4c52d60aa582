"""The twin's purchased material: reorders, receipts, consumption, and the bad supplier lot's ground truth.

The stock itself (lots on hand, quarantine, the reorder rule, first-in first-out consumption) is
:class:`~plantloop.sim.materials.Inventory`. This module is what the plant does around it: it sends the
receipts and the consumptions to the MES as commands, has purchase orders arrive after their delay, draws
whether a received lot is the scenario's bad supplier lot and records that lot in the ground truth.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from plantloop.mes.domain.commands import ConsumeMaterial, ReceiveMaterialLot
from plantloop.sim.faults import FaultRecord, FaultType
from plantloop.sim.materials import PurchaseOrder, StockLot

if TYPE_CHECKING:
    from plantloop.sim.plant import Plant


def reorder(plant: Plant, material_id: str, *, immediate: bool = False) -> None:
    """Order what the reorder rule asks for; ``immediate`` receives it now (the opening stock)."""
    for po in plant.inventory.reorders(material_id, plant.purchase_rng):
        if immediate:
            receive(plant, po)
        else:
            plant.env.process(_arrival(plant, po))


def _arrival(plant: Plant, po: PurchaseOrder) -> Generator[Any, Any, None]:
    yield plant.env.timeout(po.arrival_delay_s)
    receive(plant, po)
    plant.wake_all()


def receive(plant: Plant, po: PurchaseOrder) -> None:
    """Put the lot in stock, tell the MES, and record it when it is the scenario's bad lot."""
    bad = plant.quality.is_bad_lot(po.material_id)
    lot = StockLot(po.lot_id, po.material_id, po.supplier_id, po.qty, plant.env.now, bad)
    plant.inventory.receive(lot)
    plant.send(
        ReceiveMaterialLot(
            at=plant.now_at,
            lot_id=po.lot_id,
            material_id=po.material_id,
            supplier_id=po.supplier_id,
            qty=po.qty,
            supplier_lot_ref=f"{po.supplier_id}-{po.lot_id.rsplit('-', 1)[-1]}",
            issued_by="warehouse",
        )
    )
    if bad:
        record = FaultRecord(
            FaultType.BAD_SUPPLIER_LOT,
            po.lot_id,
            plant.now_at,
            None,
            {
                "material_id": po.material_id,
                "supplier_id": po.supplier_id,
                "extra_defect_p": plant.config.faults.bad_lot_defect_p,
                "defect_code": plant.quality.bad_lot_defect_code(po.material_id),
            },
        )
        plant.ground_truth.faults.append(record)
        plant.records.bad_lot = (lot, record)


def consume(plant: Plant, operation_id: str, material_id: str, qty: float) -> list[tuple[StockLot, float]]:
    """Take ``qty`` from stock first-in first-out and report each lot's share to the MES as consumed by
    the operation; returns the lots and quantities taken."""
    taken = plant.inventory.consume(material_id, qty)
    for lot, used in taken:
        if round(used, 6) > 0:  # a float crumb of a lot is not worth a genealogy record
            consumed = ConsumeMaterial(
                at=plant.now_at, operation_id=operation_id, lot_id=lot.lot_id, qty=round(used, 6)
            )
            plant.send(consumed)
    return taken


def close_bad_lot(plant: Plant) -> None:
    """At the end of a run: which operations consumed the bad lot, what is left of it, when it ran out."""
    if not plant.records.bad_lot:
        return
    lot, record = plant.records.bad_lot
    consumers = plant.records.bad_lot_consumers
    record.details["consumed_by_operations"] = list(consumers)
    record.details["qty_left"] = round(lot.qty_left, 3)
    if lot.qty_left <= 1e-9 and consumers:
        last = plant.ops[consumers[-1]]
        record.end_at = plant.calendar.at(last.started_s or 0.0)
