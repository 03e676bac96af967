"""digest_queued_at: waiting for the digest is a column, not a status_reason text

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_FLAG = "queued for the email digest"


def upgrade() -> None:
    op.add_column("notifications",
                  sa.Column("digest_queued_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE notifications SET digest_queued_at = persisted_at, "
                       "status_reason = NULL WHERE status_reason = :flag")
               .bindparams(flag=OLD_FLAG))


def downgrade() -> None:
    op.execute(sa.text("UPDATE notifications SET status_reason = :flag "
                       "WHERE digest_queued_at IS NOT NULL AND digested_at IS NULL")
               .bindparams(flag=OLD_FLAG))
    op.drop_column("notifications", "digest_queued_at")
