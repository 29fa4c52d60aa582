"""Partition keys, the overlap rule, and the production day (SQL and Python agree)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantloop.dataplatform.governance.partitions import (
    PlantDay,
    format_key,
    load_partition_config,
    overlap,
    parse_key,
    plant_day,
    production_day_sql,
)
from plantloop.kernel.errors import InvalidInput
from plantloop.mes.masterdata.schema import PlantDefinition

DAY = PlantDay("Asia/Shanghai", time(6, 0))


def test_a_key_is_hive_style_and_reads_back() -> None:
    key = format_key({"day": "2026-11-27", "line": "L1"})
    assert key == "day=2026-11-27/line=L1"
    assert parse_key(key) == {"day": "2026-11-27", "line": "L1"}
    assert format_key({}) == "all" and parse_key("all") == {}


def test_a_positional_key_is_read_against_the_tables_dimensions() -> None:
    assert parse_key("2026-11-27/L1", ["day", "line"]) == {"day": "2026-11-27", "line": "L1"}
    assert parse_key("2026-11-27", ["day", "line"]) == {"day": "2026-11-27"}


def test_a_key_that_is_neither_form_is_refused_with_the_dimensions() -> None:
    with pytest.raises(InvalidInput, match="neither"):
        parse_key("2026-11-27/L1/A", ["day", "line"])
    with pytest.raises(InvalidInput):
        parse_key("day=2026-11-27/L1", ["day", "line"])


def test_partitions_overlap_when_every_shared_dimension_agrees() -> None:
    assert overlap({"day": "d1", "line": "L1"}, {"day": "d1", "line": "L1", "shift": "A"})
    assert overlap({"day": "d1"}, {"day": "d1", "line": "L2"})
    assert not overlap({"day": "d1", "line": "L1"}, {"day": "d1", "line": "L2"})
    assert not overlap({"day": "d1"}, {"day": "d2"})


def test_an_unknown_line_overlaps_every_line_and_unrelated_schemes_overlap() -> None:
    assert overlap({"day": "d1", "line": ""}, {"day": "d1", "line": "L3"})
    assert overlap({"lot": "LOT-1"}, {"day": "d1", "line": "L1"})  # nothing says which day: be safe


def test_the_plant_day_starts_with_the_first_shift(reference_plant: PlantDefinition) -> None:
    day = plant_day(reference_plant)
    assert (day.timezone, day.start) == ("Asia/Shanghai", time(6, 0))
    # 05:59 local on the 28th belongs to the night shift of the 27th; 06:00 starts the 28th
    assert day.day_of(datetime(2026, 11, 27, 21, 59, tzinfo=UTC)).isoformat() == "2026-11-27"
    assert day.day_of(datetime(2026, 11, 27, 22, 0, tzinfo=UTC)).isoformat() == "2026-11-28"


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)))
def test_sql_and_python_agree_on_the_production_day_for_naive_utc_and_instants(moment: datetime) -> None:
    instant = moment.replace(tzinfo=UTC)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")  # the session zone must not matter
    naive, aware = con.execute(
        f"SELECT {production_day_sql('?', 'TIMESTAMP', DAY)}, "
        f"{production_day_sql('CAST(? AS TIMESTAMPTZ)', 'TIMESTAMP WITH TIME ZONE', DAY)}",
        [moment, instant.isoformat()],
    ).fetchone() or (None, None)
    assert naive == aware == DAY.day_of(instant)
    assert DAY.day_of(instant + timedelta(days=1)) == DAY.day_of(instant) + timedelta(days=1)


def test_every_table_of_the_shipped_registry_has_a_primary_scheme() -> None:
    config = load_partition_config()
    assert config.primary_dims("dwd_operation_execution") == ["day", "line"]
    assert [list(s) for s in config.schemes("dwd_inspection")] == [["day", "line"], ["lot"]]
    assert all(config.schemes(t) for t in config.tables)
