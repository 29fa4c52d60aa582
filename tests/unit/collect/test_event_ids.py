"""The hot-path id function gives exactly the kernel's deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from plantloop.collect.event_ids import fast_id
from plantloop.kernel.ids import deterministic_id

PART = st.one_of(
    st.text(), st.integers(), st.none(), st.floats(allow_nan=False), st.datetimes(timezones=st.just(UTC))
)


@given(st.lists(PART, max_size=8))
def test_fast_ids_equal_the_kernel_ids_for_any_parts(parts: list[object]) -> None:
    assert fast_id(*parts) == deterministic_id(*parts)


def test_a_separator_inside_a_part_does_not_collide_with_two_parts() -> None:
    assert fast_id("a\x1fb") != fast_id("a", "b")
    assert fast_id("mqtt", datetime(2026, 1, 5, tzinfo=UTC)) == deterministic_id(
        "mqtt", datetime(2026, 1, 5, tzinfo=UTC)
    )
