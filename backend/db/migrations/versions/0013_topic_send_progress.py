"""a topic send counts the notifications its fan-out has appended so far

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 18:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("topic_sends", sa.Column("appended", sa.Integer, nullable=False,
                                           server_default="0"))


def downgrade() -> None:
    op.drop_column("topic_sends", "appended")
