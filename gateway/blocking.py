"""The one way async gateway code calls blocking code (the database): a capped thread pool."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
from sqlalchemy.orm import Session

from backend.db.session import Database, retry_once

T = TypeVar("T")
THREADS = 16  # database calls of one gateway node at once


class Blocking:
    def __init__(self, db: Database, reads: Database, threads: int = THREADS) -> None:
        self.db = db
        self.reads = reads  # autocommit, no ping
        self._threads = threads
        self._limiter: anyio.CapacityLimiter | None = None  # made inside the event loop

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._threads)  # at most the pool's size
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._limiter)

    async def in_session(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` in a thread, inside one committed transaction."""

        def call() -> T:
            session: Session
            with self.db.session() as session:
                return fn(session, *args)

        return await self.run(call)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` in a thread with no transaction around it: each
        statement commits on its own, so a read of one statement is one round trip. For
        reads, and writes that stand alone."""

        def call() -> T:
            with Session(self.reads.engine) as session:
                return fn(session, *args)

        return await self.run(partial(retry_once, call))
