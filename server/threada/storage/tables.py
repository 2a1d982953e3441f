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
    # Outbound actions in flight at once for the tenant; NULL: the server's default.
    sa.Column("max_actions_in_flight", sa.Integer, nullable=True),
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
    # Keyset pages in the activity order, with and without a status filter. Channel and
    # priority (and on SQLite the tags' JSON text, a key column there; migration 0005) let
    # the other filters be tested on the index entry instead of the table row. With channel
    # ahead of status (migrations 0006, 0007) a rare channel is a range of its own.
    sa.Index("ix_tickets_tenant_activity", "tenant_id", "updated_at", "ticket_id"),
    sa.Index(
        "ix_tickets_tenant_status_activity",
        "tenant_id",
        "status",
        "updated_at",
        "ticket_id",
        "channel",
        "priority",
        postgresql_include=["tags"],
    ),
    sa.Index(
        "ix_tickets_tenant_channel_activity",
        "tenant_id",
        "channel",
        "status",
        "updated_at",
        "ticket_id",
        "priority",
        postgresql_include=["tags"],
    ),
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
    # While running: when the call must have ended; past it, a process that died left
    # the action behind and the maintenance task finishes it as failed ("interrupted").
    sa.Column("deadline_at", Ms, nullable=True),
    sa.Index("ix_actions_ticket_order", "ticket_id", "created_at", "action_id"),
    sa.Index("ix_actions_status_deadline", "status", "deadline_at"),
    sa.Index("ix_actions_tenant_status", "tenant_id", "status"),
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
    # The action a pending record waits for (actions call out between two transactions).
    sa.Column("action_id", sa.String(40), nullable=True),
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

# --- webhooks (migration 0003) ---------------------------------------------------------------

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("endpoint_id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.tenant_id"), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("event_types", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    # Set by the first failed attempt after a success; cleared by the next success.
    sa.Column("failing_since", Ms, nullable=True),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("updated_at", Ms, nullable=False),
    sa.Index("ix_webhook_endpoints_tenant_order", "tenant_id", "created_at", "endpoint_id"),
)

# Kept in the clear: signing needs the secret itself (Standard Webhooks is HMAC). While a
# rotation's grace period runs an endpoint has two, and deliveries carry both signatures.
webhook_secrets = sa.Table(
    "webhook_secrets",
    metadata,
    sa.Column("secret", sa.String(100), primary_key=True),
    sa.Column(
        "endpoint_id", sa.String(40), sa.ForeignKey("webhook_endpoints.endpoint_id"), nullable=False
    ),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("expires_at", Ms, nullable=True),
    sa.Index("ix_webhook_secrets_endpoint", "endpoint_id"),
)

# The outbox: written in the transaction of the change. `seq` orders one ticket's events
# (a ticket's writers hold its row lock, so seq order is commit order for one ticket).
webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("event_id", sa.String(40), nullable=False, unique=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("ticket_id", sa.String(40), nullable=False),
    # The exact body sent, so that every attempt signs and sends the same bytes.
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", Ms, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column(
        "endpoint_id", sa.String(40), sa.ForeignKey("webhook_endpoints.endpoint_id"), nullable=False
    ),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("event_seq", sa.BigInteger, sa.ForeignKey("webhook_events.seq"), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    # Deliveries with the same endpoint and key go out one at a time, in event order.
    sa.Column("order_key", sa.String(40), nullable=False),
    # pending, succeeded, failed
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", Ms, nullable=False),
    sa.Column("last_attempt_at", Ms, nullable=True),
    sa.Column("next_attempt_at", Ms, nullable=True),
    sa.Column("last_response_code", sa.Integer, nullable=True),
    sa.Column("last_response_excerpt", sa.Text, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    # A dispatcher holds a delivery while it sends it; an expired lease is taken over.
    sa.Column("lease_owner", sa.String(60), nullable=True),
    sa.Column("lease_expires_at", Ms, nullable=True),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_endpoint_order", "endpoint_id", "created_at", "delivery_id"),
    sa.Index("ix_webhook_deliveries_sequence", "endpoint_id", "order_key", "event_seq"),
)
