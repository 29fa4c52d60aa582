"""Spare parts: what a maintenance job needs (its kit) and whether the storeroom has it.

:class:`SparePartStock` is the port (an ERP / storeroom system in a real plant);
:class:`InMemorySparePartStock` is its twin, with a reorder-point rule: taking a part below
``reorder_point`` orders ``order_qty`` more, arriving after the part's lead time. A kit is a list of
``(part_id, qty)``; :func:`check_kit` says whether it can be reserved now and, if not, when the missing
parts are expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

Kit = Sequence[tuple[str, float]]


class SparePartStock(Protocol):
    def on_hand(self, part_id: str, at: datetime) -> float: ...

    def expected_at(self, part_id: str, qty: float, at: datetime) -> datetime | None:
        """When ``qty`` of the part will be on hand (``at`` if it is now; None if nothing is on order)."""
        ...

    def take(self, part_id: str, qty: float, at: datetime, reference: str) -> None: ...


@dataclass
class PartPolicy:
    reorder_point: float
    order_qty: float
    lead_time: timedelta


@dataclass
class InMemorySparePartStock:
    """Stock per part with a reorder-point rule; arrivals are applied lazily when the stock is read."""

    levels: dict[str, float]
    policies: dict[str, PartPolicy] = field(default_factory=dict)
    on_order: list[tuple[datetime, str, float]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    #: Stock level and reorder policy of a part seen for the first time (None: it starts at zero, unmanaged).
    default: tuple[float, PartPolicy] | None = None

    def _known(self, part_id: str) -> None:
        if part_id not in self.levels and self.default is not None:
            self.levels[part_id] = self.default[0]
            self.policies.setdefault(part_id, self.default[1])

    def _receive(self, at: datetime) -> None:
        arrived = [o for o in self.on_order if o[0] <= at]
        for when, part, qty in arrived:
            self.levels[part] = self.levels.get(part, 0.0) + qty
            self.movements.append({"at": when, "part_id": part, "qty": qty, "reference": "receipt"})
        self.on_order = [o for o in self.on_order if o[0] > at]

    def on_hand(self, part_id: str, at: datetime) -> float:
        self._known(part_id)
        self._receive(at)
        return self.levels.get(part_id, 0.0)

    def expected_at(self, part_id: str, qty: float, at: datetime) -> datetime | None:
        have = self.on_hand(part_id, at)
        if have >= qty:
            return at
        for when, part, amount in sorted(self.on_order):
            if part == part_id:
                have += amount
                if have >= qty:
                    return when
        return None

    def take(self, part_id: str, qty: float, at: datetime, reference: str) -> None:
        self._known(part_id)
        self._receive(at)
        self.levels[part_id] = self.levels.get(part_id, 0.0) - qty
        self.movements.append({"at": at, "part_id": part_id, "qty": -qty, "reference": reference})
        policy = self.policies.get(part_id)
        if policy is None:
            return
        position = self.levels[part_id] + sum(q for _, p, q in self.on_order if p == part_id)
        while position < policy.reorder_point:
            self.on_order.append((at + policy.lead_time, part_id, policy.order_qty))
            position += policy.order_qty


@dataclass(frozen=True)
class KitCheck:
    available: bool
    ready_at: datetime | None
    missing: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "ready_at": self.ready_at.isoformat() if self.ready_at else None,
            "missing": self.missing,
        }


def check_kit(stock: SparePartStock, kit: Kit, at: datetime) -> KitCheck:
    """Whether every part of ``kit`` is on hand at ``at``; if not, when the last missing one arrives."""
    missing: list[dict[str, Any]] = []
    ready: datetime | None = at
    for part_id, qty in kit:
        have = stock.on_hand(part_id, at)
        if have >= qty:
            continue
        eta = stock.expected_at(part_id, qty, at)
        missing.append({"part_id": part_id, "needed": qty, "on_hand": have, "expected_at": eta})
        ready = None if eta is None or ready is None else max(ready, eta)
    return KitCheck(not missing, ready, [{**m, "expected_at": _iso(m["expected_at"])} for m in missing])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
