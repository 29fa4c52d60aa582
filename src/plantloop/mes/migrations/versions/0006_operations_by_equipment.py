"""An index for what each piece of equipment ran last (``MesQueries.last_runs``, read by the planner).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operations_equipment_started", "operations", ["equipment_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_operations_equipment_started", table_name="operations")
