"""Due rows handed out tenant by tenant: an index on (tenant, due time) for deliveries and
webhook events, so a dispatch finds the tenants with due rows by skipping through it and
takes each one's oldest, however many rows one tenant has waiting

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:50:00
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_tenant_due", "deliveries", ["tenant_id", "due_at"])
    op.create_index("ix_webhook_events_tenant_due", "webhook_events", ["tenant_id", "next_at"],
                    postgresql_where="delivered_at IS NULL AND failed_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_webhook_events_tenant_due", "webhook_events")
    op.drop_index("ix_deliveries_tenant_due", "deliveries")
