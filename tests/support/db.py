"""The test process's own view of the database (to create tenants and read rows directly)."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.db.session import Database
from tests.support.stack import TenantKeys


@lru_cache
def database() -> Database:
    return Database(os.environ["HERALD_DATABASE_URL"], pool_size=2)


@contextmanager
def session_scope() -> Iterator[Session]:
    with database().session() as session:
        yield session


def new_tenant(name: str | None = None) -> TenantKeys:
    """A fresh tenant and its keys: tests never see each other's readers or notifications."""
    from backend.tenants.accounts import create_tenant

    with session_scope() as session:
        creds = create_tenant(session, name or f"test-{secrets.token_hex(3)}")
    return TenantKeys(**creds.as_dict())


def stored_count(tenant_id: str, priority: str | None = None) -> int:
    """How many of a tenant's notifications (of one priority) the workers have stored."""
    from backend.db.models import Notification

    query = select(func.count()).where(Notification.tenant_id == uuid.UUID(tenant_id))
    if priority is not None:
        query = query.where(Notification.priority == priority)
    with session_scope() as session:
        return session.scalar(query) or 0


def forget_waits(tenant_id: str) -> None:
    """Drop a tenant's waiting deliveries: a flood a test makes on purpose must not turn into
    retries that every later test's notifications queue behind on the shared worker."""
    from backend.db.models import Delivery

    # Rows a worker holds right now are skipped, not waited for: waiting on rows locked in
    # another order deadlocked. Those few end on their own.
    not_held = (select(Delivery.notification_id)
                .where(Delivery.tenant_id == uuid.UUID(tenant_id))
                .with_for_update(skip_locked=True))
    with session_scope() as session:
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(not_held)))
