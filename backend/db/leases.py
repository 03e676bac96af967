"""Claiming due rows with a lease: how waiting work (retries, fallbacks, webhook events)
is handed out. The rows are locked with SKIP LOCKED, so two dispatchers at once never take
the same one, and their due time moves on by the lease, so a claim whose task was lost
comes back by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.db.models import Base

Row = TypeVar("Row", bound=Base)


def claim(session: Session, model: type[Row], due: InstrumentedAttribute[Any],
          key: InstrumentedAttribute[Any], limit: int, lease_seconds: float,
          *where: ColumnElement[bool]) -> list[Row]:
    """Up to ``limit`` rows of ``model`` due by ``due`` (oldest first), locked and leased."""
    now = datetime.now(UTC)
    rows = list(session.scalars(
        select(model).where(due <= now, *where).order_by(due).limit(limit)
        .with_for_update(skip_locked=True)))
    if rows:
        session.execute(update(model).where(key.in_([getattr(r, key.key) for r in rows]))
                        .values({due.key: now + timedelta(seconds=lease_seconds)}))
    return rows
