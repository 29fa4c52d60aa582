"""Lot sizing at release (``lotsize.py``): equal sub-lots, bounded in number and size, nothing lost."""

from __future__ import annotations

import pytest

from plantloop.kernel.errors import InvalidInput
from plantloop.mes.domain.sub_lots import sub_lot_id
from plantloop.optimize.scheduling.lotsize import LotSplit, split_quantities


@pytest.mark.parametrize(
    ("qty", "expected"),
    [
        (10, [10]),
        (59, [59]),  # below two minimum lots: one lot
        (60, [30, 30]),
        (89, [45, 44]),
        (90, [30, 30, 30]),
        (100, [34, 33, 33]),
        (1000, [334, 333, 333]),  # never more than max_lots
    ],
)
def test_an_order_is_split_into_equal_sub_lots_no_smaller_than_the_minimum(
    qty: int, expected: list[int]
) -> None:
    lots = split_quantities(qty, max_lots=3, min_lot=30)
    assert lots == expected
    assert sum(lots) == qty


def test_every_quantity_is_kept_whole_across_its_sub_lots() -> None:
    split = LotSplit(max_lots=4, min_lot=25)
    for qty in range(1, 400):
        lots = split(qty)
        assert sum(lots) == qty and 1 <= len(lots) <= 4
        assert max(lots) - min(lots) <= 1
        assert len(lots) == 1 or min(lots) >= 25


def test_a_nonsense_lot_size_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInput, match="positive quantity"):
        split_quantities(0, max_lots=3, min_lot=30)
    with pytest.raises(InvalidInput, match="at least 1"):
        split_quantities(100, max_lots=0, min_lot=30)


def test_sub_lots_are_named_after_their_order() -> None:
    assert sub_lot_id("WO-00042", 2) == "WO-00042.2"
