"""The one way async gateway code calls blocking code (database): a capped thread pool."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio

from backend.db import session_scope

T = TypeVar("T")
_limiter: anyio.CapacityLimiter | None = None


def _get_limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(16)  # at most the database pool's size
    return _limiter


async def run_sync(fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(partial(fn, *args), limiter=_get_limiter())


async def in_session(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(session, *args)`` in a thread, inside one committed transaction."""

    def call() -> T:
        with session_scope() as session:
            return fn(session, *args)

    return await run_sync(call)

