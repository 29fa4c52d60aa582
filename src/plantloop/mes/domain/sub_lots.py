"""An order created in sub-lots (``CreateWorkOrder.lot_qtys``): how its work orders are named, which ids
it claims, and which order a sub-lot belongs to. The ids are the only link between an order and its
sub-lots (``<work_order_id>.1``, ``.2``, …), so every reader goes through these functions."""

from __future__ import annotations

from collections.abc import Sequence

#: at most this many sub-lots per order (the command, the API and the trace keep to it)
MAX_SUB_LOTS = 100


def sub_lot_id(work_order_id: str, index: int) -> str:
    """The work order of sub-lot ``index`` (from 1) of an order created in sub-lots
    (``CreateWorkOrder.lot_qtys``)."""
    return f"{work_order_id}.{index}"


def order_of_lot(work_order_id: str) -> str:
    """The order a sub-lot belongs to (``WO-7.2`` → ``WO-7``); any other work order is its own order.
    An id that merely ends in ``.<digits>`` reads as a sub-lot too: the planner then spares it the
    handling between it and its namesakes, no more."""
    head, sep, tail = work_order_id.rpartition(".")
    return head if sep and head and tail.isdigit() else work_order_id


def exclusive_ids(work_order_id: str) -> tuple[str, str]:
    """The ids an order claims besides the work orders it creates: itself and its first sub-lot, so that
    the same order cannot come in both whole and in sub-lots (a retried request is refused, not doubled)."""
    return work_order_id, sub_lot_id(work_order_id, 1)


def lots_of(work_order_id: str, qty: int, lot_qtys: Sequence[int] | None = None) -> list[tuple[str, int]]:
    """The top-level work orders an order is created as, with their quantities: itself, or — with more
    than one of ``lot_qtys`` — its sub-lots ``<work_order_id>.1``, ``.2``, …"""
    if lot_qtys is None or len(lot_qtys) <= 1:
        return [(work_order_id, qty)]
    return [(sub_lot_id(work_order_id, i), q) for i, q in enumerate(lot_qtys, start=1)]
