"""The daily partitions of ``notifications`` (migration 0011): listed, made ahead, dropped.

A day's partition is ``notifications_pYYYYMMDD`` for [that day, the next) in UTC; rows of
days without one land in ``notifications_default``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

PREFIX = "notifications_p"


@dataclass(frozen=True)
class Partition:
    name: str
    day: date

    @property
    def end(self) -> datetime:
        """Where the partition ends (exclusive), in UTC."""
        return datetime.fromisoformat(f"{self.day + timedelta(days=1)}T00:00:00+00:00")


def daily(session: Session) -> list[Partition]:
    """The daily partitions, oldest first."""
    names = session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'notifications'::regclass AND c.relname LIKE :like "
        "ORDER BY c.relname"), {"like": PREFIX + "%"}).all()
    return [Partition(n, datetime.strptime(n[len(PREFIX):], "%Y%m%d").date()) for n in names]


def create(session: Session, day: date) -> bool:
    """The partition of ``day``, unless it exists; False when rows of that day already sit
    in the default partition (the partition cannot be made until they are moved)."""
    name = f"{PREFIX}{day:%Y%m%d}"
    try:
        with session.begin_nested():
            session.execute(text(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF notifications "
                f"FOR VALUES FROM ('{day}T00:00:00+00') "
                f"TO ('{day + timedelta(days=1)}T00:00:00+00')"))
    except DBAPIError as exc:
        logger.warning("cannot make partition %s: %s", name, str(exc.orig).splitlines()[0])
        return False
    return True


def drop(session: Session, partition: Partition) -> int:
    """Drop a day's partition with the attempts and pending deliveries of its rows; returns
    how many notifications it held."""
    name = partition.name
    count = session.scalar(text(f"SELECT count(*) FROM {name}")) or 0
    for table in ("delivery_attempts", "deliveries"):
        session.execute(text(f"DELETE FROM {table} WHERE notification_id IN "
                             f"(SELECT id FROM {name})"))
    session.execute(text(f"ALTER TABLE notifications DETACH PARTITION {name}"))
    session.execute(text(f"DROP TABLE {name}"))
    return int(count)
