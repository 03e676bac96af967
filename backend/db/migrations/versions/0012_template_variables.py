"""templates may declare the variables they need, each with an optional default

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the version declared nothing (every variable it uses must come with the send).
    op.add_column("templates", sa.Column("variables", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("templates", "variables")
