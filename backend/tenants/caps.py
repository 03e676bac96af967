"""How many of a kind of thing a tenant may have (webhooks, topics, schedules), held under
concurrency: the count and the insert that follows happen under a lock of that tenant and
kind, so forty requests at once cannot each see room for one more."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.core.errors import InvalidInput


def make_room(session: Session, tenant_column: InstrumentedAttribute[uuid.UUID],
              tenant_id: uuid.UUID, most: int, what: str, setting: str) -> None:
    """Raise InvalidInput when the tenant has ``most`` already; else hold the lock (to the
    end of the transaction) while the caller adds one. An advisory lock, not a row lock on
    the tenant: inserts referencing the tenant row never wait on it."""
    session.execute(select(func.pg_advisory_xact_lock(
        func.hashtext(f"cap:{tenant_column.class_.__tablename__}:{tenant_id}"))))
    count = session.scalar(select(func.count()).where(tenant_column == tenant_id)) or 0
    if count >= most:
        raise InvalidInput(f"a tenant may have {most} {what} ({setting})", ("body",))
