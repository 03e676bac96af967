"""Traces: each notification keeps the W3C traceparent of the request that sent it, so its
later retries and fallbacks continue the same trace

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable with no default: adding it rewrites nothing, and rows sent untraced stay NULL.
    op.add_column("notifications", sa.Column("traceparent", sa.String(55)))


def downgrade() -> None:
    op.drop_column("notifications", "traceparent")
