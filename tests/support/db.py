"""The test process's own view of the database (to create tenants and read rows directly)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy.orm import Session

from backend.db.session import Database


@lru_cache
def database() -> Database:
    return Database(os.environ["HERALD_DATABASE_URL"], pool_size=2)


@contextmanager
def session_scope() -> Iterator[Session]:
    with database().session() as session:
        yield session
