"""Readers (the product's users): created on first sight with the tenant's defaults."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Result, String, Table, bindparam, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from backend.db.arrays import unnested
from backend.db.models import READER_COLUMNS, ReaderView, User

USERS = cast(Table, User.__table__)  # Core: the ORM's bulk insert path wants a VALUES list


def _create_readers() -> Insert:
    """INSERT of readers as first made, skipping any that exist already: one statement over
    unnested arrays, compiled once (a VALUES list is compiled anew for every count)."""
    new = unnested("new", external_id=String(), epoch=String())
    tenant = bindparam("tenant", type_=PG_UUID(as_uuid=True))
    return (insert(USERS)
            .from_select(["tenant_id", "external_id", "epoch"],
                         select(tenant, new.c.external_id, new.c.epoch))
            .on_conflict_do_nothing(index_elements=["tenant_id", "external_id"]))


_CREATE_READERS = _create_readers()
_CREATE_READERS_RETURNING = _CREATE_READERS.returning(USERS.c.id, USERS.c.epoch,
                                                      USERS.c.external_id)


def create_readers(session: Session, tenant_id: uuid.UUID, external_ids: Iterable[str],
                   returning: bool = False) -> Result[Any]:
    """Create these readers unless they exist, each with a fresh epoch (a new history for
    clients' offsets); ``returning``: the rows made, as (id, epoch, external_id)."""
    made = list(external_ids)
    return session.execute(_CREATE_READERS_RETURNING if returning else _CREATE_READERS, {
        "tenant": tenant_id, "external_ids": made,
        "epochs": [secrets.token_hex(4) for _ in made]})


def ensure_readers(session: Session, tenant_id: uuid.UUID, external_ids: Iterable[str]
                   ) -> dict[str, User]:
    """Create any missing readers and return all of them by external id."""
    wanted = sorted(set(external_ids))
    query = select(User).where(User.tenant_id == tenant_id, User.external_id.in_(wanted))
    found = {user.external_id: user for user in session.scalars(query)}
    if len(found) == len(wanted):  # the usual case: one statement, no insert tried
        return found
    create_readers(session, tenant_id, (ext for ext in wanted if ext not in found))
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
    create_readers(session, tenant_id, (ext for ext in wanted if ext not in found))
    return {r.external_id: r for r in session.execute(query)}


def update_profile(
    session: Session, tenant_id: uuid.UUID, external_id: str, fields: dict[str, Any]
) -> User:
    user = ensure_readers(session, tenant_id, [external_id])[external_id]
    for name, value in fields.items():
        setattr(user, name, value)
    session.flush()
    return user
