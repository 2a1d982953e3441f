"""Tables (SQLAlchemy Core). The Alembic migrations create exactly these."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

Ms = sa.BigInteger

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("tenant_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("rate_limit_per_minute", sa.Integer, nullable=True),
    sa.Column("actions_base_url", sa.String(2000), nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    # A tenant for test runs (the contract suite writes only to these); its keys are thr_test_.
    sa.Column("testing", sa.Boolean, nullable=False, server_default=sa.false()),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.tenant_id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    # Space-separated scope names.
    sa.Column("scopes", sa.String(500), nullable=False),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("last_used_at", Ms, nullable=True),
    sa.Column("revoked_at", Ms, nullable=True),
    sa.Index("ix_api_keys_tenant", "tenant_id"),
)

# One key may have several secrets while a rotation's grace period runs.
key_secrets = sa.Table(
    "key_secrets",
    metadata,
    sa.Column("secret_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(40), sa.ForeignKey("api_keys.key_id"), nullable=False),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("expires_at", Ms, nullable=True),
    sa.Index("ix_key_secrets_key", "key_id"),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("ticket_id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.tenant_id"), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("contact_name", sa.Text, nullable=True),
    sa.Column("contact_email", sa.Text, nullable=True),
    sa.Column("contact_phone", sa.Text, nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("updated_at", Ms, nullable=False),
    sa.Column("last_message_at", Ms, nullable=True),
    # Keyset pages in the activity order, with and without a status filter.
    sa.Index("ix_tickets_tenant_activity", "tenant_id", "updated_at", "ticket_id"),
    sa.Index("ix_tickets_tenant_status_activity", "tenant_id", "status", "updated_at", "ticket_id"),
)

ticket_tags = sa.Table(
    "ticket_tags",
    metadata,
    sa.Column("ticket_id", sa.String(40), sa.ForeignKey("tickets.ticket_id"), primary_key=True),
    sa.Column("tag", sa.String(200), primary_key=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Index("ix_ticket_tags_tenant_tag", "tenant_id", "tag", "ticket_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("message_id", sa.String(40), primary_key=True),
    sa.Column("ticket_id", sa.String(40), sa.ForeignKey("tickets.ticket_id"), nullable=False),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_message_id", sa.String(500), nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    sa.Index("ix_messages_ticket_order", "ticket_id", "created_at", "message_id"),
    # NULLs are distinct in both SQLite and PostgreSQL: only real external ids collide.
    sa.UniqueConstraint("ticket_id", "external_message_id", name="uq_messages_external_id"),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("action_id", sa.String(40), primary_key=True),
    sa.Column("ticket_id", sa.String(40), sa.ForeignKey("tickets.ticket_id"), nullable=False),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("action_type", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("completed_at", Ms, nullable=True),
    sa.Index("ix_actions_ticket_order", "ticket_id", "created_at", "action_id"),
)

idempotency_records = sa.Table(
    "idempotency_records",
    metadata,
    sa.Column("tenant_id", sa.String(40), primary_key=True),
    sa.Column("idem_key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # "pending" while the first request runs, then "done" with the response.
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("headers", sa.JSON, nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    sa.Index("ix_idempotency_created", "created_at"),
)

# Fixed one-minute windows; `used` counts quota leased by all processes.
rate_windows = sa.Table(
    "rate_windows",
    metadata,
    sa.Column("key_id", sa.String(40), primary_key=True),
    sa.Column("window_start", Ms, primary_key=True),
    sa.Column("used", sa.Integer, nullable=False),
)
