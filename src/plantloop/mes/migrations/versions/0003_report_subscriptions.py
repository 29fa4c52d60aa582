"""Report subscriptions (scheduled distribution by e-mail) in the operational store.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_subscriptions_username", "report_subscriptions", ["username"])


def downgrade() -> None:
    op.drop_index("ix_report_subscriptions_username", table_name="report_subscriptions")
    op.drop_table("report_subscriptions")
