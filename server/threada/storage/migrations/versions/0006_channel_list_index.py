"""list index by channel (SQLite)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:30:00

A filter on a channel few tickets use (`channel=api`) made SQLite walk the tenant's whole
(tenant_id, status, updated_at) range to fill a page, testing each entry's channel: 307 us
for the statement at 1,000,000 tickets against 53 us for the first page (`python -m
bench.filters`), and 0.44x the first page's req/s over HTTP. With channel ahead of status
the page is a range of its own: 53 us. Status, priority and the tags' JSON text stay in the
key so that the other filters combined with a channel are still decided on the index
entry (`status=pending&channel=email&priority=high`: 77 -> 103 us, the planner's pick).

SQLite only here; PostgreSQL gets the same index in 0007 (the bench figure that left it
out came from a run whose PostgreSQL servers answered only 503s).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "ix_tickets_tenant_channel_activity"
KEYS = ["tenant_id", "channel", "status", "updated_at", "ticket_id", "priority", "tags"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(NAME, "tickets", KEYS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(NAME, table_name="tickets")
