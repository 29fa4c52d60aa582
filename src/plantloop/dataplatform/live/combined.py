"""Today's OEE per equipment: the shifts already materialised in ADS plus the running shift from the live
fold — the union that makes an event visible in metrics before the warehouse is rebuilt."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.live.shifts import shift_at
from plantloop.dataplatform.warehouse.warehouse import Warehouse

_COLUMNS = (
    "equipment_id, line_id, shift_date, shift_id, shift_start_at, planned_time_s, run_time_s, idle_time_s, "
    "unplanned_downtime_s, ideal_output_time_s, qty_good, qty_scrap, operations, availability, "
    "performance, quality_rate, oee"
)


def oee_today(
    live: LiveMetrics,
    wh: Warehouse | None = None,
    *,
    now: datetime | None = None,
    scope: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the current shift date: materialised shifts (``source = 'ads'``) + the live shift."""
    now = now or datetime.now(UTC)
    current = shift_at(live.plant, now)
    rows: list[dict[str, Any]] = []
    live_rows = [r for r in live.snapshot(now) if current is None or r["shift_start_at"] == current.start_at]
    live_keys = {(r["equipment_id"], r["shift_start_at"]) for r in live_rows}
    if wh is not None and current is not None:
        with wh.connect() as con:
            cursor = con.execute(
                f"SELECT {_COLUMNS} FROM dw.ads_oee_equipment_shift WHERE shift_date = ? ORDER BY 1, 5",
                [current.shift_date],
            )
            names = [d[0] for d in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                start = row["shift_start_at"].replace(tzinfo=UTC)
                if (row["equipment_id"], start) in live_keys or start >= current.start_at:
                    continue
                rows.append(row | {"shift_start_at": start, "source": "ads"})
    rows.extend(live_rows)
    if scope is not None:
        rows = [r for r in rows if r.get("line_id") in scope]
    return rows
