"""Loading a genealogy index in bulk from where the facts live.

- :func:`index_from_mes_store`: the MES's own tables (``lots``, ``genealogy_edges``, ``operations``,
  ``work_orders``) through SQLAlchemy — SQLite or PostgreSQL. The MES does not keep process parameters in
  its tables (they travel with ``OperationCompleted``); pass them as a frame (``parameters``), e.g. from
  :func:`parameters_from_warehouse`.
- :func:`parameters_from_warehouse`: the parameters of completed operations from the warehouse's ODS
  (``ods_mes__events``, DuckDB), one row per operation and parameter.
- :func:`shifts_of`: the shift of many instants at once from the plant calendar (vectorised), for
  operations whose source names no shift.

Reading is a bulk, read-only scan; afterwards the index is kept current fact by fact
(:class:`~plantloop.optimize.quality.genealogy.LedgerIndexer`).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plantloop.mes import orm
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.optimize.quality.genealogy_index import GenealogyIndex


def shifts_of(plant: PlantDefinition, times: pd.Series) -> pd.Series:
    """Shift id of every UTC instant (``None`` outside the shifts), by local time of day at the site."""
    stamps = pd.to_datetime(times, utc=True, format="ISO8601")
    local = stamps.dt.tz_convert(ZoneInfo(plant.site.timezone))
    minute = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float)
    out = np.full(len(stamps), None, dtype=object)
    assigned = np.zeros(len(stamps), dtype=bool)
    for shift in plant.calendar.shifts:
        start = shift.start.hour * 60 + shift.start.minute
        end = start + shift.duration_h * 60
        inside = ((minute >= start) & (minute < end)) | ((minute + 1440 >= start) & (minute + 1440 < end))
        out[inside & ~assigned] = shift.id
        assigned |= inside
    out[stamps.isna().to_numpy()] = None
    return pd.Series(out, index=times.index)


def _frame(conn: sa.Connection, query: Any) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _text(column: Any, name: str) -> Any:
    """A time column read as text and parsed by pandas in bulk (much faster than row by row)."""
    return sa.cast(column, sa.String).label(name)


def index_from_mes_store(
    engine: Engine,
    *,
    plant: PlantDefinition | None = None,
    parameters: pd.DataFrame | None = None,
    index: GenealogyIndex | None = None,
) -> GenealogyIndex:
    """A genealogy index of every lot, edge and operation in the MES store (shifts from ``plant``)."""
    lots, wos, edges, ops = orm.lots, orm.work_orders, orm.genealogy_edges, orm.operations
    with engine.connect() as conn:
        lot_frame = _frame(
            conn,
            sa.select(
                lots.c.id.label("lot_id"),
                lots.c.material_id,
                lots.c.lot_kind.label("kind"),
                lots.c.supplier_id,
                lots.c.supplier_lot_ref,
                lots.c.work_order_id,
                _text(lots.c.created_at, "created_at"),
                wos.c.sales_order_id,
                wos.c.customer,
            ).select_from(lots.outerjoin(wos, wos.c.id == lots.c.work_order_id)),
        )
        edge_frame = _frame(
            conn,
            sa.select(
                edges.c.produced_lot_id,
                edges.c.component_lot_id,
                edges.c.qty,
                edges.c.operation_id,
                _text(edges.c.at, "at"),
            ),
        )
        op_frame = _frame(
            conn,
            sa.select(
                ops.c.id.label("operation_id"),
                ops.c.work_order_id,
                wos.c.material_id,
                ops.c.seq,
                ops.c.work_center_id,
                ops.c.equipment_id,
                ops.c.operator_id,
                _text(ops.c.started_at, "started_at"),
                _text(ops.c.completed_at, "completed_at"),
                ops.c.qty_good,
                ops.c.qty_scrap,
            ).select_from(ops.join(wos, wos.c.id == ops.c.work_order_id)),
        )
    op_frame["lot_id"] = "LOT-" + op_frame["work_order_id"].astype(str)
    if plant is not None and len(op_frame):
        op_frame["shift_id"] = shifts_of(plant, op_frame["started_at"])
    return (index or GenealogyIndex()).load_frames(lot_frame, edge_frame, op_frame, parameters)


def parameters_from_warehouse(conn: Any, since: Any = None) -> pd.DataFrame:
    """``operation_id, name, value`` of every parameter reported with ``OperationCompleted`` in the ODS
    (a DuckDB connection to the warehouse)."""
    where = "type = 'OperationCompleted'" + (" AND occurred_at >= ?" if since is not None else "")
    sql = f"""
        SELECT json_extract_string(payload, '$.operation_id') AS operation_id,
               unnest(json_keys(json_extract(payload, '$.parameters'))) AS name,
               payload
        FROM main.ods_mes__events WHERE {where}
    """
    rows = conn.execute(sql, [since] if since is not None else []).fetchdf()
    if rows.empty:
        return pd.DataFrame(columns=["operation_id", "name", "value"])
    import json

    rows["value"] = [
        float(json.loads(payload)["parameters"][name])
        for payload, name in zip(rows["payload"], rows["name"], strict=True)
    ]
    return rows.loc[:, ["operation_id", "name", "value"]]
