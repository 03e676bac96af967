"""a notification's reader is ``reader_id`` (the reader's row), never ``user_id`` (which
means the product's own id everywhere else)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 20:15:00
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _webhook_functions(column: str) -> list[str]:
    """The delivery-webhook triggers' functions (0010) joining the reader by ``column``."""
    spec = importlib.util.spec_from_file_location(
        "webhooks_0010", Path(__file__).with_name("0010_delivery_webhooks.py"))
    assert spec is not None and spec.loader is not None
    earlier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(earlier)
    return [function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
            .replace("n.user_id", f"n.{column}")
            for function in (earlier.EVENTS_FUNCTION, earlier.STORED_FAILED_FUNCTION)]


def upgrade() -> None:
    # On the partitioned parent: PostgreSQL renames the column of every partition with it.
    op.alter_column("notifications", "user_id", new_column_name="reader_id")
    for function in _webhook_functions("reader_id"):
        op.execute(function)


def downgrade() -> None:
    op.alter_column("notifications", "reader_id", new_column_name="user_id")
    for function in _webhook_functions("user_id"):
        op.execute(function)
