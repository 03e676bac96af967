"""The test process's own view of the database (to create tenants and read rows directly)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

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
