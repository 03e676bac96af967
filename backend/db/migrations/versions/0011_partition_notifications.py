"""notifications partitioned by week of created_at (native range partitioning), so that
retention drops whole weeks instead of deleting rows; a default partition holds what falls
outside the weekly ones (all history from before this migration)

The primary key becomes (id, created_at), as PostgreSQL requires of a partitioned table;
(user_id, seq) stays indexed, no longer unique (seqs are handed out under the reader's row
lock). delivery_attempts and deliveries lose their foreign key to notifications: whoever
removes notifications removes theirs (retention, erasure).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:00:00
"""

from datetime import UTC, datetime, timedelta

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = [
    "CREATE INDEX ix_notifications_unread ON notifications (user_id) WHERE read_at IS NULL",
    "CREATE INDEX ix_notifications_group ON notifications (group_id)",
    "CREATE INDEX ix_notifications_created_brin ON notifications USING brin (created_at)",
    "CREATE INDEX ix_notifications_changes ON notifications (user_id, change) WHERE change > 0",
    "CREATE INDEX ix_notifications_snoozed ON notifications (snoozed_until) "
    "WHERE snoozed_until IS NOT NULL",
]
FOREIGN_KEYS = [
    "ALTER TABLE notifications ADD CONSTRAINT notifications_tenant_id_fkey FOREIGN KEY "
    "(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE",
    "ALTER TABLE notifications ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY "
    "(user_id) REFERENCES users (id) ON DELETE CASCADE",
    "ALTER TABLE notifications ADD CONSTRAINT notifications_template_id_fkey FOREIGN KEY "
    "(template_id) REFERENCES templates (id)",
]
TRIGGERS = [
    "CREATE TRIGGER notifications_webhook_events AFTER UPDATE ON notifications "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION herald_webhook_events()",
    "CREATE TRIGGER notifications_webhook_events_stored AFTER INSERT ON notifications "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION herald_webhook_events_stored()",
]


def _swap_in(partitioned: bool) -> None:
    """Build the new ``notifications`` beside the old one, copy, drop the old one."""
    for name in ("ix_notifications_unread", "ix_notifications_group",
                 "ix_notifications_created_brin", "ix_notifications_changes",
                 "ix_notifications_snoozed", "ix_notifications_reader_seq"):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE notifications RENAME TO notifications_old")
    op.execute("ALTER TABLE notifications_old DROP CONSTRAINT notifications_pkey")
    op.execute("ALTER TABLE notifications_old DROP CONSTRAINT IF EXISTS "
               "notifications_user_id_seq_key")
    by = " PARTITION BY RANGE (created_at)" if partitioned else ""
    op.execute(f"CREATE TABLE notifications (LIKE notifications_old INCLUDING DEFAULTS){by}")
    if partitioned:
        op.execute("ALTER TABLE notifications ADD PRIMARY KEY (id, created_at)")
        op.execute("CREATE TABLE notifications_default PARTITION OF notifications DEFAULT")
        today = datetime.now(UTC).date()
        this_monday = today - timedelta(days=today.weekday())
        for offset in range(0, 3):  # this week and the next two (beat keeps making them)
            start = this_monday + timedelta(weeks=offset)
            op.execute(f"CREATE TABLE notifications_p{start:%Y%m%d} PARTITION OF notifications "
                       f"FOR VALUES FROM ('{start}T00:00:00+00') "
                       f"TO ('{start + timedelta(weeks=1)}T00:00:00+00')")
        op.execute("CREATE INDEX ix_notifications_reader_seq ON notifications (user_id, seq)")
    else:
        op.execute("ALTER TABLE notifications ADD PRIMARY KEY (id)")
        op.execute("ALTER TABLE notifications ADD CONSTRAINT notifications_user_id_seq_key "
                   "UNIQUE (user_id, seq)")
    op.execute("INSERT INTO notifications SELECT * FROM notifications_old")
    op.execute("DROP TABLE notifications_old")  # its triggers with it
    for statement in INDEXES + FOREIGN_KEYS + TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.execute("ALTER TABLE delivery_attempts DROP CONSTRAINT "
               "delivery_attempts_notification_id_fkey")
    op.execute("ALTER TABLE deliveries DROP CONSTRAINT deliveries_notification_id_fkey")
    _swap_in(partitioned=True)


def downgrade() -> None:
    _swap_in(partitioned=False)
    op.execute("DELETE FROM delivery_attempts a WHERE NOT EXISTS "
               "(SELECT 1 FROM notifications n WHERE n.id = a.notification_id)")
    op.execute("DELETE FROM deliveries d WHERE NOT EXISTS "
               "(SELECT 1 FROM notifications n WHERE n.id = d.notification_id)")
    op.execute("ALTER TABLE delivery_attempts ADD CONSTRAINT "
               "delivery_attempts_notification_id_fkey FOREIGN KEY (notification_id) "
               "REFERENCES notifications (id) ON DELETE CASCADE")
    op.execute("ALTER TABLE deliveries ADD CONSTRAINT deliveries_notification_id_fkey "
               "FOREIGN KEY (notification_id) REFERENCES notifications (id) ON DELETE CASCADE")
