"""Web Push: readers' push subscriptions (one per device), and each tenant's VAPID keys

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("reader_id", sa.BigInteger,
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.UniqueConstraint("reader_id", "endpoint", name="push_subscriptions_reader_endpoint"),
    )
    # The private key never leaves the workers; the public one is served to herald.js.
    op.add_column("tenants", sa.Column("vapid_private_key", sa.Text))
    op.add_column("tenants", sa.Column("vapid_public_key", sa.String(100)))
    op.add_column("tenants", sa.Column("push_default_url", sa.Text))


def downgrade() -> None:
    op.drop_column("tenants", "push_default_url")
    op.drop_column("tenants", "vapid_public_key")
    op.drop_column("tenants", "vapid_private_key")
    op.drop_table("push_subscriptions")
