"""Topics: named lists of readers a send can go to, and the sends still being fanned out

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 00:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", UUID(as_uuid=True),
                  sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.UniqueConstraint("tenant_id", "key"),
    )
    op.create_table(
        "topic_subscribers",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("topic_id", sa.BigInteger, sa.ForeignKey("topics.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.UniqueConstraint("topic_id", "external_id"),
    )
    op.create_table(
        "topic_sends",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True),
                  sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("topic_id", sa.BigInteger, sa.ForeignKey("topics.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("request", JSONB, nullable=False),
        sa.Column("up_to", sa.BigInteger, nullable=False),
        sa.Column("after", sa.BigInteger, server_default="0", nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
    )
    op.create_index("ix_topic_sends_due", "topic_sends", ["due_at"],
                    postgresql_where="done_at IS NULL")


def downgrade() -> None:
    op.drop_table("topic_sends")
    op.drop_table("topic_subscribers")
    op.drop_table("topics")
