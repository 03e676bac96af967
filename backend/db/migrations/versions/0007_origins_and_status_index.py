"""tenants.allowed_origins (CORS for the gateway's REST inbox); a BRIN index on
notifications.created_at, so that ``herald status`` counts a day without scanning the table

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("allowed_origins", JSONB, server_default="[]",
                                       nullable=False))
    # BRIN: rows arrive in created_at order, so a block range summary is tiny and costs
    # inserts next to nothing.
    op.create_index("ix_notifications_created_brin", "notifications", ["created_at"],
                    postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_notifications_created_brin", table_name="notifications")
    op.drop_column("tenants", "allowed_origins")
