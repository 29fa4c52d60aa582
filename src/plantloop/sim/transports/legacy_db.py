"""A legacy MES database as a real plant has one: foreign table and field names, local wall-clock times.

Table ``T_PROD_REPORT`` (``RecID`` increasing, ``WorkNo``, ``EquipCode``, ``ReportTime`` in the site's
local time without zone, ``QtyOK``, ``QtyNG``, ``OperatorNo``). Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

METADATA = sa.MetaData()
T_PROD_REPORT = sa.Table(
    "T_PROD_REPORT",
    METADATA,
    sa.Column("RecID", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("WorkNo", sa.String(40), nullable=False),
    sa.Column("EquipCode", sa.String(40), nullable=False),
    sa.Column("ReportTime", sa.DateTime(timezone=False), nullable=False),
    sa.Column("QtyOK", sa.Integer, nullable=False),
    sa.Column("QtyNG", sa.Integer, nullable=False),
    sa.Column("OperatorNo", sa.String(20)),
)


@dataclass(frozen=True)
class ProductionReport:
    work_order_id: str
    equipment_id: str
    reported_at: datetime  # aware
    qty_good: int
    qty_scrap: int
    operator_id: str | None = None


class LegacyMesWriter:
    def __init__(self, url: str, *, timezone: str = "Asia/Shanghai") -> None:
        self.engine = sa.create_engine(url)
        self.tz = ZoneInfo(timezone)
        METADATA.create_all(self.engine)

    def write(self, reports: Iterable[ProductionReport]) -> int:
        rows = [
            {
                "WorkNo": r.work_order_id,
                "EquipCode": r.equipment_id,
                "ReportTime": r.reported_at.astimezone(self.tz).replace(tzinfo=None),
                "QtyOK": r.qty_good,
                "QtyNG": r.qty_scrap,
                "OperatorNo": r.operator_id,
            }
            for r in reports
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(T_PROD_REPORT.insert(), rows)
        return len(rows)

    def close(self) -> None:
        self.engine.dispose()
