"""Edits, retractions and inbox states (seen, archived, snoozed), each numbered by a
per-reader change counter so that a reconnecting client gets the changes it missed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMES = ("seen_at", "archived_at", "snoozed_until", "edited_at", "deleted_at")


def upgrade() -> None:
    op.add_column("users", sa.Column("last_change", sa.BigInteger, server_default="0",
                                     nullable=False))
    op.add_column("notifications", sa.Column("change", sa.BigInteger, server_default="0",
                                             nullable=False))
    for name in TIMES:
        op.add_column("notifications", sa.Column(name, sa.DateTime(timezone=True)))
    op.create_index("ix_notifications_changes", "notifications", ["user_id", "change"],
                    postgresql_where="change > 0")
    op.create_index("ix_notifications_snoozed", "notifications", ["snoozed_until"],
                    postgresql_where="snoozed_until IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_notifications_snoozed", table_name="notifications")
    op.drop_index("ix_notifications_changes", table_name="notifications")
    for name in reversed(TIMES):
        op.drop_column("notifications", name)
    op.drop_column("notifications", "change")
    op.drop_column("users", "last_change")
