"""Initial MES schema: work orders, operations, lots and genealogy, equipment, maintenance, inspections,
dispatch boards, the outbox and relay checkpoints.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 10:54:37.391332
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "dispatch_boards",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("schedule_version", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "equipment",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("work_center_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_operation_id", sa.String(length=80), nullable=True),
        sa.Column("downtime_reason_code", sa.String(length=64), nullable=True),
        sa.Column("downtime_planned", sa.Boolean(), nullable=False),
        sa.Column("downtime_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maintenance_order_id", sa.String(length=64), nullable=True),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=80), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("material_id", sa.String(length=64), nullable=False),
        sa.Column("equipment_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("qty_inspected", sa.Integer(), nullable=False),
        sa.Column("qty_defective", sa.Integer(), nullable=False),
        sa.Column("defect_code", sa.String(length=64), nullable=True),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("inspector_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspections_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("material_id", sa.String(length=64), nullable=False),
        sa.Column("lot_kind", sa.String(length=20), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("supplier_id", sa.String(length=64), nullable=True),
        sa.Column("supplier_lot_ref", sa.String(length=64), nullable=True),
        sa.Column("work_order_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_material_id"), ["material_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_work_order_id"), ["work_order_id"], unique=False)

    op.create_table(
        "maintenance_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("equipment_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("planned_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_duration_s", sa.Float(), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_orders_equipment_id"), ["equipment_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("equipment_path", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_subject"), ["subject"], unique=False)
        batch_op.create_index("ix_outbox_type_seq", ["type", "seq"], unique=False)

    op.create_table(
        "outbox_checkpoints",
        sa.Column("subscriber", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscriber"),
    )
    op.create_table(
        "schedule_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("material_id", sa.String(length=64), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("parent_work_order_id", sa.String(length=64), nullable=True),
        sa.Column("sales_order_id", sa.String(length=64), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("qty_good", sa.Integer(), nullable=False),
        sa.Column("qty_scrap", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_orders_parent_work_order_id"), ["parent_work_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_work_orders_status"), ["status"], unique=False)

    op.create_table(
        "dispatch_entries",
        sa.Column("work_center_id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.String(length=64), nullable=True),
        sa.Column("planned_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_center_id"],
            ["dispatch_boards.id"],
        ),
        sa.PrimaryKeyConstraint("work_center_id", "operation_id"),
    )
    op.create_table(
        "genealogy_edges",
        sa.Column("produced_lot_id", sa.String(length=64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("component_lot_id", sa.String(length=64), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("operation_id", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_lot_id"],
            ["lots.id"],
        ),
        sa.ForeignKeyConstraint(
            ["produced_lot_id"],
            ["lots.id"],
        ),
        sa.PrimaryKeyConstraint("produced_lot_id", "idx"),
    )
    with op.batch_alter_table("genealogy_edges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genealogy_edges_component_lot_id"), ["component_lot_id"], unique=False
        )

    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("work_center_ids", sa.String(length=500), nullable=False),
        sa.Column("work_center_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("equipment_id", sa.String(length=64), nullable=True),
        sa.Column("operator_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("qty_good", sa.Integer(), nullable=False),
        sa.Column("qty_scrap", sa.Integer(), nullable=False),
        sa.Column("pause_reason", sa.String(length=64), nullable=True),
        sa.Column("paused_by_downtime", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index("ix_operations_work_center_status", ["work_center_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_operations_work_order_id"), ["work_order_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_work_order_id"))
        batch_op.drop_index("ix_operations_work_center_status")

    op.drop_table("operations")
    with op.batch_alter_table("genealogy_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genealogy_edges_component_lot_id"))

    op.drop_table("genealogy_edges")
    op.drop_table("dispatch_entries")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_orders_status"))
        batch_op.drop_index(batch_op.f("ix_work_orders_parent_work_order_id"))

    op.drop_table("work_orders")
    op.drop_table("schedule_versions")
    op.drop_table("outbox_checkpoints")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_type_seq")
        batch_op.drop_index(batch_op.f("ix_outbox_subject"))
        batch_op.drop_index(batch_op.f("ix_outbox_occurred_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("maintenance_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_orders_equipment_id"))

    op.drop_table("maintenance_orders")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_lots_material_id"))

    op.drop_table("lots")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_operation_id"))

    op.drop_table("inspections")
    op.drop_table("equipment")
    op.drop_table("dispatch_boards")
