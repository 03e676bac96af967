"""One database per process: its engine and the sessions made from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


# A server that stops answering (a partition, a promoted standby's old primary) is given up
# on, not waited for: libpq then tries the next host of a multi-host URL. Keepalives find an
# idle connection's server gone; ``tcp_user_timeout`` bounds a statement whose packets go
# unanswered, which otherwise waited for the kernel's minutes of retransmissions, past a
# task's time limits (a pool process killed mid-write could wedge Celery's worker).
CONNECT_ARGS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5,
                "keepalives_interval": 2, "keepalives_count": 3, "tcp_user_timeout": 10_000}


class Database:
    def __init__(self, url: str, pool_size: int = 10, autocommit: bool = False,
                 ping: bool | None = None) -> None:
        """``autocommit``: every statement commits on its own, no BEGIN or COMMIT round trips
        (for reads of one statement); and no ping before each use either: a connection the
        server dropped fails its statement, the pool starts afresh, and the caller retries
        (``retry_once``). ``ping=False`` leaves the ping out of a transactional pool too,
        for callers that retry a whole transaction anyway (Celery tasks)."""
        # Autocommit leaves no transaction to roll back when a connection returns to the pool.
        options = ({"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
                   if autocommit else {})
        ping = not autocommit if ping is None else ping
        self.engine = create_engine(url, pool_pre_ping=ping, pool_size=pool_size,
                                    max_overflow=0 if autocommit else pool_size,
                                    connect_args=CONNECT_ARGS, **options)
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


def retry_once(call: Callable[[], T]) -> T:
    """``call()``, again once if it failed on a connection the server had dropped (after a
    database restart): safe for reads and for writes that stand alone."""
    try:
        return call()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return call()


@contextmanager
def one_session(url: str) -> Iterator[Session]:
    """A single transaction for a short-lived command: a one-connection engine, disposed after."""
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()
