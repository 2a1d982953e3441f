"""list index by channel (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:35:00

Migration 0006 gave SQLite a (tenant_id, channel, status, updated_at, ...) index and left
PostgreSQL out, on the strength of a bench figure that turned out to come from a run whose
PostgreSQL servers had lost their database (every request a 503). The full run measured
PostgreSQL as SQLite had been: a rare channel (`channel=api`) at 459 req/s against 921 for
the first page, PostgreSQL's own CPU 2.2 ms per request against 0.3 (it reads the whole
(tenant, status) range of the status index, testing channel on each entry). The same index
here, tags as an INCLUDE column (no b-tree order for json), makes the rare channel a range
of its own. PostgreSQL's per-value statistics let the planner keep the status index for a
common channel.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ix_tickets_tenant_channel_activity"
KEYS = ["tenant_id", "channel", "status", "updated_at", "ticket_id", "priority"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_index(NAME, "tickets", KEYS, postgresql_include=["tags"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index(NAME, table_name="tickets")
