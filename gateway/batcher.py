"""Sockets asking the same kind of question at the same moment share one call: what each
opens on (its reader's row and inbox summary) and each page of a replay are read for all of
them by one statement in one thread, and their presence is marked in Redis by one round
trip (a reconnect storm of thousands is a few calls, not thousands of thread hand-offs and
round trips)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from backend.core import bulkhead

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 500  # keys per call


class Batcher(Generic[K, V]):
    """One drain at a time: the keys asked for while a call runs wait for the next one, so
    the batches grow with the load and a lone ask waits for nothing. ``load(keys)`` answers
    by key; a key it leaves out is a ``LookupError`` for whoever asked for it."""

    def __init__(self, load: Callable[[Sequence[K]], Awaitable[dict[K, V]]],
                 max_batch: int = MAX_BATCH) -> None:
        self._load = load
        self._max_batch = max_batch
        self._waiting: dict[K, asyncio.Future[V]] = {}
        self._drain: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future = self._waiting.get(key)
        if future is None:
            future = self._waiting[key] = asyncio.get_running_loop().create_future()
            # Retrieved even when every socket waiting on it went away meanwhile.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._drain_all())
        return await asyncio.shield(future)  # one socket giving up cancels nobody else's

    async def _drain_all(self) -> None:
        try:
            while self._waiting:
                keys = list(self._waiting)[:self._max_batch]
                batch = {key: self._waiting.pop(key) for key in keys}
                await self._settle(batch)
        finally:
            self._drain = None
            if self._waiting:  # left by a drain cancelled mid-way: the next one takes them
                self._drain = asyncio.get_running_loop().create_task(self._drain_all())

    async def _settle(self, batch: dict[K, asyncio.Future[V]]) -> None:
        async def load(keys: Sequence[K]) -> None:
            found = await self._load(keys)
            for key in keys:
                future = batch[key]
                if future.done():
                    continue
                if key in found:
                    future.set_result(found[key])
                else:
                    future.set_exception(LookupError(f"{key!r} could not be loaded"))

        try:
            # A key whose value fails the shared call fails alone; the others are answered.
            for key, exc in await bulkhead.apart(list(batch), load, "batched load"):
                if not batch[key].done():
                    batch[key].set_exception(exc)
        except BaseException as exc:  # each waiting socket gets the failure, none waits on
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception)
                                         else LookupError("the load was cancelled"))
            if not isinstance(exc, Exception):
                raise
