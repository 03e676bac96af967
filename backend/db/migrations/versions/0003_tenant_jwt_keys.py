"""tenant jwt keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:22:37.482026
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("jwt_algorithm", sa.String(length=10), server_default="HS256", nullable=False),
    )
    op.add_column("tenants", sa.Column("jwt_public_key", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "jwt_public_key")
    op.drop_column("tenants", "jwt_algorithm")
