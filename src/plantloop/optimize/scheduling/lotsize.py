"""Lot sizing at release: how much of a customer order each work order carries.

A plant that moves an order through its routing as one lot makes every unit wait for the whole lot at
every step: with 120 units and five operations the last unit leaves the first machine only when the first
could already have been packed. Splitting the order into sub-lots that each flow on their own (lot
streaming) lets the steps overlap: sub-lot 1 is tested while sub-lot 2 is assembled. Run in the plan as
separate jobs, sub-lots of one material that follow each other on a machine need no setup between them
(the setup depends on the material before), so the scheduler keeps them together where that pays and
pulls them apart where a machine downstream would otherwise wait.

The rule is deliberately plain — equal sub-lots, at most ``max_lots``, none smaller than ``min_lot`` — so
that a planner can predict it; the scheduler decides where the sub-lots go. ``split_quantities`` is what a
planning layer uses when it turns a sales order into work orders (``LotSplit`` on a twin policy; the
sub-lots are work orders ``f"{work_order_id}.{i}"`` of the same sales order, due date and priority).
"""

from __future__ import annotations

from dataclasses import dataclass

from plantloop.kernel.errors import InvalidInput


def split_quantities(qty: int, *, max_lots: int, min_lot: int) -> list[int]:
    """``qty`` in as many equal sub-lots as allowed (sizes differ by at most one unit, larger first):
    at most ``max_lots`` and none below ``min_lot``; one lot when ``qty < 2 × min_lot``."""
    if qty <= 0:
        raise InvalidInput(f"a lot needs a positive quantity, not {qty}", qty=qty)
    if max_lots < 1 or min_lot < 1:
        raise InvalidInput(
            f"max_lots and min_lot must be at least 1 (got {max_lots}, {min_lot})",
            max_lots=max_lots,
            min_lot=min_lot,
        )
    n = max(1, min(max_lots, qty // min_lot))
    base, extra = divmod(qty, n)
    return [base + 1 if i < extra else base for i in range(n)]


@dataclass(frozen=True, slots=True)
class LotSplit:
    """A policy's lot sizing: sales orders of at least ``2 × min_lot`` units become up to ``max_lots``
    work orders ``f"{work_order_id}.{i}"`` (i from 1) with the order's due date and priority."""

    max_lots: int = 3
    min_lot: int = 30

    def __call__(self, qty: int) -> list[int]:
        return split_quantities(qty, max_lots=self.max_lots, min_lot=self.min_lot)
