"""Sockets opening together share their database call: what each opens on (its reader's row
and inbox summary) is read for all of them by one statement in one thread (a reconnect storm
of thousands is a few calls, not thousands of thread hand-offs and round trips)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from backend.notifications.inbox import ReaderKey, ReaderSummary

Load = Callable[[Sequence[ReaderKey]], Awaitable[dict[ReaderKey, ReaderSummary]]]
MAX_BATCH = 500  # readers per statement


class ReaderLoader:
    """One drain at a time: the opens that arrive while a call runs wait for the next one,
    so the batches grow with the load and a lone open waits for nothing."""

    def __init__(self, load: Load, max_batch: int = MAX_BATCH) -> None:
        self._load = load
        self._max_batch = max_batch
        self._waiting: dict[ReaderKey, asyncio.Future[ReaderSummary]] = {}
        self._drain: asyncio.Task[None] | None = None

    async def get(self, key: ReaderKey) -> ReaderSummary:
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

    async def _settle(self, batch: dict[ReaderKey, asyncio.Future[ReaderSummary]]) -> None:
        try:
            found = await self._load(list(batch))
        except Exception as exc:  # noqa: BLE001 - each waiting socket gets the failure
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for key, future in batch.items():
            if future.done():
                continue
            if key in found:
                future.set_result(found[key])
            else:
                future.set_exception(LookupError(f"reader {key[1]!r} could not be loaded"))
