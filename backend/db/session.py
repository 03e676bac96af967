"""One database per process: its engine and the sessions made from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker


class Database:
    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                                    max_overflow=pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def one_session(url: str) -> Iterator[Session]:
    """A single transaction for a short-lived command: a one-connection engine, disposed after."""
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()
