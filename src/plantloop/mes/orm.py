"""The MES tables (SQLAlchemy 2 Core). The migrations in ``migrations/versions`` create exactly these; an
integration test compares the two. Times are stored as UTC (naive in SQLite, ``timestamptz`` in
PostgreSQL) and always read back timezone-aware.

Aggregate roots carry ``event_seq`` (the last event sequence number, for deterministic event ids) and
``version`` (optimistic concurrency: every write checks and bumps it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

ID = sa.String(64)
OP_ID = sa.String(80)
STATE = sa.String(20)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _aggregate_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("event_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    ]


work_orders = sa.Table(
    "work_orders",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("material_id", ID, nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("status", STATE, nullable=False, index=True),
    sa.Column("held", sa.Boolean, nullable=False),
    sa.Column("parent_work_order_id", ID, nullable=True, index=True),
    sa.Column("sales_order_id", ID, nullable=True),
    sa.Column("customer", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=True),
    sa.Column("released_at", UTCDateTime, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Column("qty_good", sa.Integer, nullable=False),
    sa.Column("qty_scrap", sa.Integer, nullable=False),
    *_aggregate_columns(),
)

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", OP_ID, primary_key=True),
    sa.Column("work_order_id", ID, sa.ForeignKey("work_orders.id"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("work_center_ids", sa.String(500), nullable=False),
    sa.Column("work_center_id", ID, nullable=False),
    sa.Column("status", STATE, nullable=False),
    sa.Column("equipment_id", ID, nullable=True),
    sa.Column("operator_id", ID, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Column("qty_good", sa.Integer, nullable=False),
    sa.Column("qty_scrap", sa.Integer, nullable=False),
    sa.Column("pause_reason", ID, nullable=True),
    sa.Column("paused_by_downtime", sa.Boolean, nullable=False),
    sa.Index("ix_operations_work_center_status", "work_center_id", "status"),
    sa.Index("ix_operations_equipment_started", "equipment_id", "started_at"),
)

lots = sa.Table(
    "lots",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("material_id", ID, nullable=False, index=True),
    sa.Column("lot_kind", STATE, nullable=False),
    sa.Column("qty", sa.Float, nullable=False),
    sa.Column("status", STATE, nullable=False),
    sa.Column("held", sa.Boolean, nullable=False),
    sa.Column("supplier_id", ID, nullable=True),
    sa.Column("supplier_lot_ref", ID, nullable=True),
    sa.Column("work_order_id", ID, nullable=True, index=True),
    sa.Column("created_at", UTCDateTime, nullable=True),
    *_aggregate_columns(),
)

genealogy_edges = sa.Table(
    "genealogy_edges",
    metadata,
    sa.Column("produced_lot_id", ID, sa.ForeignKey("lots.id"), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("component_lot_id", ID, sa.ForeignKey("lots.id"), nullable=False, index=True),
    sa.Column("qty", sa.Float, nullable=False),
    sa.Column("operation_id", OP_ID, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

equipment = sa.Table(
    "equipment",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("work_center_id", ID, nullable=False),
    sa.Column("state", STATE, nullable=False),
    sa.Column("state_since", UTCDateTime, nullable=True),
    sa.Column("current_operation_id", OP_ID, nullable=True),
    sa.Column("downtime_reason_code", ID, nullable=True),
    sa.Column("downtime_planned", sa.Boolean, nullable=False),
    sa.Column("downtime_started_at", UTCDateTime, nullable=True),
    sa.Column("maintenance_order_id", ID, nullable=True),
    *_aggregate_columns(),
)

maintenance_orders = sa.Table(
    "maintenance_orders",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("equipment_id", ID, nullable=False, index=True),
    sa.Column("kind", STATE, nullable=False),
    sa.Column("status", STATE, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("planned_start_at", UTCDateTime, nullable=True),
    sa.Column("planned_duration_s", sa.Float, nullable=False),
    sa.Column("decision_id", ID, nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Column("notes", sa.Text, nullable=False),
    *_aggregate_columns(),
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("operation_id", OP_ID, nullable=False, index=True),
    sa.Column("work_order_id", ID, nullable=False),
    sa.Column("lot_id", ID, nullable=False),
    sa.Column("material_id", ID, nullable=False),
    sa.Column("equipment_id", ID, nullable=True),
    sa.Column("result", STATE, nullable=False),
    sa.Column("qty_inspected", sa.Integer, nullable=False),
    sa.Column("qty_defective", sa.Integer, nullable=False),
    sa.Column("defect_code", ID, nullable=True),
    sa.Column("measurements", sa.JSON, nullable=False),
    sa.Column("inspector_id", ID, nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    *_aggregate_columns(),
)

schedule_versions = sa.Table(
    "schedule_versions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("decision_id", ID, nullable=True),
    sa.Column("issued_by", sa.String(200), nullable=False),
    *_aggregate_columns(),
)

dispatch_boards = sa.Table(
    "dispatch_boards",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("schedule_version", ID, nullable=True),
    sa.Column("published_at", UTCDateTime, nullable=True),
    *_aggregate_columns(),
)

dispatch_entries = sa.Table(
    "dispatch_entries",
    metadata,
    sa.Column("work_center_id", ID, sa.ForeignKey("dispatch_boards.id"), primary_key=True),
    sa.Column("operation_id", OP_ID, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("equipment_id", ID, nullable=True),
    sa.Column("planned_start_at", UTCDateTime, nullable=True),
    sa.Column("planned_end_at", UTCDateTime, nullable=True),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False, index=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("equipment_path", sa.String(500), nullable=True),
    sa.Column("subject", sa.String(200), nullable=True, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Index("ix_outbox_type_seq", "type", "seq"),
)

outbox_checkpoints = sa.Table(
    "outbox_checkpoints",
    metadata,
    sa.Column("subscriber", sa.String(200), primary_key=True),
    sa.Column("seq", SEQ, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

#: Aggregate root tables (carry event_seq and version).
ROOT_TABLES = (
    work_orders,
    lots,
    equipment,
    maintenance_orders,
    inspections,
    schedule_versions,
    dispatch_boards,
)
