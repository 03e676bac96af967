"""templates and preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:28:17.006395
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("email_subject", sa.Text(), nullable=True),
        sa.Column("email_html", sa.Text(), nullable=True),
        sa.Column("email_text", sa.Text(), nullable=True),
        sa.Column("slack_text", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "key", "locale", "version"),
    )
    op.add_column("notifications", sa.Column("template_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "notifications", sa.Column("digested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_foreign_key(
        "notifications_template_id_fkey", "notifications", "templates", ["template_id"], ["id"]
    )
    op.add_column(
        "tenants",
        sa.Column(
            "preference_defaults",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column(
        "tenants",
        sa.Column(
            "required_categories",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )
    op.add_column(
        "users",
        sa.Column(
            "preferences",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("users", sa.Column("digest_next_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "digest_next_at")
    op.drop_column("users", "preferences")
    op.drop_column("tenants", "required_categories")
    op.drop_column("tenants", "preference_defaults")
    # WARNING: constraint name is None; this directive will fail as
    # rendered.  Add a name, or use a naming convention; see
    # https://alembic.sqlalchemy.org/en/latest/naming.html
    op.drop_constraint("notifications_template_id_fkey", "notifications", type_="foreignkey")
    op.drop_column("notifications", "digested_at")
    op.drop_column("notifications", "template_id")
    op.drop_table("templates")
