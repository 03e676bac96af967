"""Frames waiting to be written to one socket: a bounded deque and at most one waiting
sender. An ``asyncio.Queue`` per socket brought two more deques and an ``Event`` (each a few
objects the garbage collector walks, times every socket on the node)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Outbox(Generic[T]):
    __slots__ = ("_items", "_limit", "_waiter")

    def __init__(self, limit: int) -> None:
        self._items: deque[T] = deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def idle(self) -> bool:
        """Nothing is waiting and the sender is parked in ``get``: a frame written now goes
        out in its turn."""
        return self._waiter is not None and not self._waiter.done()

    def put(self, item: T) -> bool:
        """Add without waiting; False (nothing added) when ``limit`` items are waiting."""
        if len(self._items) >= self._limit:
            return False
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return True

    async def get(self) -> T:
        """The oldest item, waiting for one if there is none (one getter at a time)."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()
