"""Which DQ failures a metric row is built on: by its group values, the period, the filter and the scope."""

from __future__ import annotations

from datetime import date

from plantloop.dataplatform.metrics.quality import Selection, _covers

WEEK = Selection(date(2026, 11, 20), date(2026, 11, 26), {}, None)


def test_a_row_grouped_by_line_and_day_is_hit_only_by_its_own_partition() -> None:
    row = {"line": "L1", "day": date(2026, 11, 23)}
    assert _covers({"day": "2026-11-23", "line": "L1"}, row, WEEK)
    assert not _covers({"day": "2026-11-23", "line": "L2"}, row, WEEK)
    assert not _covers({"day": "2026-11-24", "line": "L1"}, row, WEEK)
    assert _covers({"day": "2026-11-23", "line": ""}, row, WEEK)  # a line nobody could resolve


def test_an_ungrouped_row_is_hit_by_failures_inside_its_period_filter_and_scope() -> None:
    assert _covers({"day": "2026-11-23", "line": "L3"}, {}, WEEK)
    assert not _covers({"day": "2026-11-27", "line": "L3"}, {}, WEEK)
    scoped = Selection(WEEK.start, WEEK.end, {"shift": ["A"]}, frozenset({"L1"}))
    assert not _covers({"day": "2026-11-23", "line": "L3"}, {}, scoped)
    assert _covers({"day": "2026-11-23", "line": "L1", "shift": "A"}, {}, scoped)
    assert not _covers({"day": "2026-11-23", "line": "L1", "shift": "B"}, {}, scoped)


def test_dimensions_a_metric_has_no_counterpart_for_never_exclude_a_failure() -> None:
    assert _covers({"lot": "LOT-7"}, {"line": "L1"}, WEEK)
