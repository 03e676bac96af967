"""a topic send remembers the subscribers it reached first (those online at its first tick)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 20:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("topic_sends", sa.Column("first", ARRAY(sa.BigInteger)))


def downgrade() -> None:
    op.drop_column("topic_sends", "first")
