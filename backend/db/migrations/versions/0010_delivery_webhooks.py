"""Signed delivery webhooks: endpoints of the product's backend, the events owed to them
(written by a trigger in the same transaction as the status change they report), and each
attempt to deliver one

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 01:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# An event's data (the same for every type), created_at and next_at.
DATA = """jsonb_build_object('notification_id', n.id, 'send_id', n.group_id,
                            'recipient', u.external_id, 'status', n.status,
                            'reason', n.status_reason, 'category', n.category),
         now(), now()"""
# One statement-level trigger: a change of any number of notifications (an UPDATE from any
# code path) owes one event per subscribed webhook, recorded atomically with it.
EVENTS_FUNCTION = f"""
CREATE FUNCTION herald_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhooks) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (id, webhook_id, tenant_id, type, data, created_at, next_at)
  SELECT gen_random_uuid(), w.id, n.tenant_id, e.type,
         {DATA}
  FROM new_rows n
  JOIN old_rows o ON o.id = n.id
  -- A read may come before the delivery was recorded (it sets delivered_at too): each event
  -- is told by its own column, not by the status alone.
  CROSS JOIN LATERAL (VALUES
    ('notification.delivered', o.delivered_at IS NULL AND n.delivered_at IS NOT NULL),
    ('notification.read', o.read_at IS NULL AND n.read_at IS NOT NULL),
    ('notification.failed', o.status <> 'failed' AND n.status = 'failed'),
    ('notification.fallback_sent', o.status <> 'fallback_sent' AND n.status = 'fallback_sent')
  ) AS e(type, happened)
  JOIN webhooks w ON w.tenant_id = n.tenant_id AND w.events ? e.type
  JOIN users u ON u.id = n.user_id
  WHERE e.happened;
  RETURN NULL;
END
$$;
"""
EVENTS_TRIGGER = """
CREATE TRIGGER notifications_webhook_events AFTER UPDATE ON notifications
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION herald_webhook_events();
"""
# A notification stored as failed (its reader opted out of every channel) never changes
# status: its event comes from the INSERT.
STORED_FAILED_FUNCTION = f"""
CREATE FUNCTION herald_webhook_events_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhooks) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (id, webhook_id, tenant_id, type, data, created_at, next_at)
  SELECT gen_random_uuid(), w.id, n.tenant_id, 'notification.failed',
         {DATA}
  FROM new_rows n
  JOIN webhooks w ON w.tenant_id = n.tenant_id AND w.events ? 'notification.failed'
  JOIN users u ON u.id = n.user_id
  WHERE n.status = 'failed';
  RETURN NULL;
END
$$;
"""
STORED_FAILED_TRIGGER = """
CREATE TRIGGER notifications_webhook_events_stored AFTER INSERT ON notifications
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION herald_webhook_events_stored();
"""


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True),
                  sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", JSONB, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("webhook_id", UUID(as_uuid=True),
                  sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, server_default="0", nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_webhook_events_due", "webhook_events", ["next_at"],
                    postgresql_where="delivered_at IS NULL AND failed_at IS NULL")
    op.create_index("ix_webhook_events_webhook", "webhook_events", ["webhook_id", "created_at"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", UUID(as_uuid=True),
                  sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("error", sa.Text),
    )
    for statement in (EVENTS_FUNCTION, EVENTS_TRIGGER, STORED_FAILED_FUNCTION,
                      STORED_FAILED_TRIGGER):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER notifications_webhook_events_stored ON notifications")
    op.execute("DROP FUNCTION herald_webhook_events_stored()")
    op.execute("DROP TRIGGER notifications_webhook_events ON notifications")
    op.execute("DROP FUNCTION herald_webhook_events()")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_events")
    op.drop_table("webhooks")
