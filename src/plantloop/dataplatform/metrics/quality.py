"""The DQ status of metric values: a value built on a partition that failed a check says so.

A metric row covers the partitions its group values (and the period, filter and scope) select. It is
``fail`` when a blocking DQ failure of the source table or of any table upstream of it overlaps those
partitions (the rule of :mod:`~plantloop.dataplatform.governance.partitions`), ``pass`` when results exist
and none fails, ``unchecked`` when nothing was checked. Dimensions a partition has and a metric does not
group by (a lot, an equipment id) never exclude a failure: the status errs on the side of caution.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from plantloop.dataplatform.governance.partition_lineage import LatestResult
from plantloop.dataplatform.governance.partitions import ANY_VALUE
from plantloop.dataplatform.governance.verdicts import Gate, ancestors

#: Metric dimension → partition dimension (others have no partition counterpart).
PARTITION_DIMENSION = {"day": "day", "line": "line", "shift": "shift"}


@dataclass(frozen=True)
class Selection:
    """What a metric query selected: period bounds, filters and scope by metric dimension."""

    start: date | None
    end: date | None
    filters: Mapping[str, Sequence[str]]
    scope: Collection[str] | None


def _day_in(value: str, selection: Selection) -> bool:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return True
    return (selection.start is None or day >= selection.start) and (
        selection.end is None or day <= selection.end
    )


def _covers(failed: Mapping[str, str], row: Mapping[str, Any], selection: Selection) -> bool:
    """Does the failed partition fall inside what this row aggregates?"""
    for metric_dim, dim in PARTITION_DIMENSION.items():
        value = failed.get(dim)
        if value is None or value == ANY_VALUE:
            continue
        if metric_dim in row:
            if str(row[metric_dim]) != value:
                return False
        elif (
            (metric_dim == "day" and not _day_in(value, selection))
            or (metric_dim in selection.filters and value not in selection.filters[metric_dim])
            or (metric_dim == "line" and selection.scope is not None and value not in selection.scope)
        ):
            return False
    return True


def annotate(rows: list[dict[str, Any]], table: str, gate: Gate, selection: Selection) -> list[str]:
    """Add ``dq_status`` and ``dq_failed`` to each row; returns every failure that touched a row."""
    related = {table} | ancestors(gate.table_parents, table)
    results: list[tuple[LatestResult, dict[str, str]]] = [
        (r, gate.dims_of(r.partition.table, r.partition.partition))
        for r in gate.results
        if r.partition.table in related
    ]
    touched: set[str] = set()
    for row in rows:
        failed = sorted(
            {
                f"{r.partition}: {r.check}"
                for r, dims in results
                if r.blocking and _covers(dims, row, selection)
            }
        )
        checked = failed or any(_covers(dims, row, selection) for _, dims in results)
        row["dq_status"] = "fail" if failed else ("pass" if checked else "unchecked")
        row["dq_failed"] = failed
        touched.update(failed)
    return sorted(touched)
