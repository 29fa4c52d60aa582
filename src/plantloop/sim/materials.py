"""Purchased material: lots on hand (consumed first-in first-out) and a reorder rule that buys lots.

Stock position = on hand + on order − requirement of released operations not yet started. When it falls
below the safety stock (expected usage over the supplier lead time plus ``material_safety_days``), whole
lots of ``Material.lot_size`` are ordered; they arrive after the supplier's lead time.

A lot on hold (``HoldLot`` through the MES) is quarantined: it is not on hand, it is not consumed (the next
available lot is taken instead) and the reorder rule buys to replace it (the plant asks it at the hold).
Releasing it puts it back.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from plantloop.mes.masterdata.schema import MaterialKind, PlantDefinition


@dataclass
class StockLot:
    lot_id: str
    material_id: str
    supplier_id: str
    qty_left: float
    received_s: float
    bad: bool = False
    held: bool = False


@dataclass(frozen=True)
class PurchaseOrder:
    lot_id: str
    material_id: str
    supplier_id: str
    qty: float
    arrival_delay_s: float


class Inventory:
    """Lots per purchased material, the reorder rule and the consumption record (for genealogy)."""

    def __init__(
        self, plant: PlantDefinition, daily_usage: dict[str, float], safety_days: float, id_prefix: str = ""
    ) -> None:
        self._plant = plant
        self._id_prefix = id_prefix
        self._lots: dict[str, deque[StockLot]] = {}
        self._on_hand: dict[str, float] = {}
        self._on_order: dict[str, float] = {}
        self._required: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._supplier_turn: dict[str, int] = {}
        self.safety: dict[str, float] = {}
        for m in plant.materials:
            if m.kind is not MaterialKind.PURCHASED:
                continue
            lead_days = max(
                (s.lead_time_days for s in plant.suppliers if s.id in m.supplier_ids),
                default=0.0,
            )
            self.safety[m.id] = daily_usage.get(m.id, 0.0) * (lead_days + safety_days)
            self._lots[m.id] = deque()
            self._on_hand[m.id] = self._on_order[m.id] = self._required[m.id] = 0.0

    def on_hand(self, material_id: str) -> float:
        return self._on_hand.get(material_id, 0.0)

    def hold(self, lot_id: str) -> StockLot | None:
        """Quarantine a lot on hand (``None`` if it is not on hand, e.g. used up or unknown)."""
        lot = self.lot(lot_id)
        if lot is None or lot.held:
            return None
        lot.held = True
        self._on_hand[lot.material_id] -= lot.qty_left
        return lot

    def release(self, lot_id: str) -> StockLot | None:
        lot = self.lot(lot_id)
        if lot is None or not lot.held:
            return None
        lot.held = False
        self._on_hand[lot.material_id] += lot.qty_left
        return lot

    def lot(self, lot_id: str) -> StockLot | None:
        """The lot ``lot_id`` while any of it is in stock (held or not)."""
        for lots in self._lots.values():
            for lot in lots:
                if lot.lot_id == lot_id:
                    return lot
        return None

    def require(self, material_id: str, qty: float) -> None:
        self._required[material_id] = self._required.get(material_id, 0.0) + qty

    def reorders(self, material_id: str, rng: np.random.Generator) -> list[PurchaseOrder]:
        """Lots to order now so that the stock position is back above the safety stock."""
        material = self._plant.materials_by_id[material_id]
        position = self._on_hand[material_id] + self._on_order[material_id] - self._required[material_id]
        short = self.safety[material_id] - position
        if short <= 0:
            return []
        orders = []
        for _ in range(math.ceil(short / material.lot_size)):
            turn = self._supplier_turn.get(material_id, 0)
            self._supplier_turn[material_id] = turn + 1
            supplier_id = material.supplier_ids[turn % len(material.supplier_ids)]
            supplier = next(s for s in self._plant.suppliers if s.id == supplier_id)
            n = self._count.get(material_id, 0) + 1
            self._count[material_id] = n
            delay_s = supplier.lead_time_days * 86_400.0 * float(rng.uniform(0.9, 1.1))
            orders.append(
                PurchaseOrder(
                    f"{self._id_prefix}PL-{material_id}-{n:05d}",
                    material_id,
                    supplier_id,
                    material.lot_size,
                    delay_s,
                )
            )
            self._on_order[material_id] += material.lot_size
        return orders

    def receive(self, lot: StockLot, *, was_ordered: bool = True) -> None:
        self._lots[lot.material_id].append(lot)
        self._on_hand[lot.material_id] += lot.qty_left
        if was_ordered:
            self._on_order[lot.material_id] -= lot.qty_left

    def consume(self, material_id: str, qty: float) -> list[tuple[StockLot, float]]:
        """Take ``qty`` first-in first-out, skipping held lots; the caller checked :meth:`on_hand` first."""
        taken: list[tuple[StockLot, float]] = []
        lots = self._lots[material_id]
        left = qty
        for lot in list(lots):
            if left <= 1e-9:
                break
            if lot.held:
                continue
            q = min(lot.qty_left, left)
            lot.qty_left -= q
            left -= q
            taken.append((lot, q))
            if lot.qty_left <= 1e-9:
                lots.remove(lot)
        self._on_hand[material_id] -= qty - left
        self._required[material_id] -= qty
        return taken
