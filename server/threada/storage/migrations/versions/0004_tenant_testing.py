"""tenants.testing: a tenant marked for testing (its keys are thr_test_...)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 07:55:00

Issue 17. The chain is 0001 -> 0002 (issue 13) -> 0003 (issue 20) -> 0004 (issue 14);
this branch was cut from 0001, so the coordinator sets down_revision to the last of
those at merge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("testing", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("testing")
