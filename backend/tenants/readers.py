"""Readers (the product's users): created on first sight with the tenant's defaults."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from backend.db.models import READER_COLUMNS, ReaderView, User


def create_readers(tenant_id: uuid.UUID, external_ids: Iterable[str]) -> Insert:
    """INSERT of readers as first made (a fresh epoch each: a new history for clients'
    offsets), skipping any that exist already."""
    return (insert(User)
            .values([{"tenant_id": tenant_id, "external_id": ext,
                      "epoch": secrets.token_hex(4)} for ext in external_ids])
            .on_conflict_do_nothing(index_elements=["tenant_id", "external_id"]))


def ensure_readers(session: Session, tenant_id: uuid.UUID, external_ids: Iterable[str]
                   ) -> dict[str, User]:
    """Create any missing readers and return all of them by external id."""
    wanted = sorted(set(external_ids))
    query = select(User).where(User.tenant_id == tenant_id, User.external_id.in_(wanted))
    found = {user.external_id: user for user in session.scalars(query)}
    if len(found) == len(wanted):  # the usual case: one statement, no insert tried
        return found
    session.execute(create_readers(tenant_id, (ext for ext in wanted if ext not in found)))
    return {user.external_id: user for user in session.scalars(query)}


def lock_readers(session: Session, tenant_id: uuid.UUID, external_ids: Iterable[str]
                 ) -> dict[str, ReaderView]:
    """Create any missing readers, then lock all of them in id order (so that concurrent
    workers handing out sequence numbers to the same readers serialise instead of
    deadlocking); plain rows by external id, no ORM objects."""
    wanted = sorted(set(external_ids))
    query = (select(*READER_COLUMNS)
             .where(User.tenant_id == tenant_id, User.external_id.in_(wanted))
             .order_by(User.id).with_for_update())
    found: dict[str, ReaderView] = {r.external_id: r for r in session.execute(query)}
    if len(found) == len(wanted):  # the usual case: one statement, no insert tried
        return found
    session.execute(create_readers(tenant_id, (ext for ext in wanted if ext not in found)))
    return {r.external_id: r for r in session.execute(query)}


def update_profile(
    session: Session, tenant_id: uuid.UUID, external_id: str, fields: dict[str, Any]
) -> User:
    user = ensure_readers(session, tenant_id, [external_id])[external_id]
    for name, value in fields.items():
        setattr(user, name, value)
    session.flush()
    return user
