"""schedules.failed_at / failure_reason: a schedule that cannot run fails alone, with why

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("failed_at", sa.DateTime(timezone=True)))
    op.add_column("schedules", sa.Column("failure_reason", sa.String(500)))


def downgrade() -> None:
    op.drop_column("schedules", "failure_reason")
    op.drop_column("schedules", "failed_at")
