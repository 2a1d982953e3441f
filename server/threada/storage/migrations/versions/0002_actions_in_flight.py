"""actions in flight: per-tenant cap, action deadlines, idempotency records name their action

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_actions_in_flight", sa.Integer(), nullable=True))
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_at", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_actions_status_deadline", ["status", "deadline_at"])
        batch_op.create_index("ix_actions_tenant_status", ["tenant_id", "status"])
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_id", sa.String(length=40), nullable=True))
    # Actions left running by the old code have no deadline: they are past it now.
    op.execute("UPDATE actions SET deadline_at = created_at WHERE status = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("action_id")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index("ix_actions_tenant_status")
        batch_op.drop_index("ix_actions_status_deadline")
        batch_op.drop_column("deadline_at")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("max_actions_in_flight")
