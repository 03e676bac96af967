"""Clients' acknowledgements, applied together: cumulative ones (``{"type":"ack","seq":N}``)
in one UPDATE per node per interval for every reader that acknowledged, and those by id
(``{"type":"ack","ids":[...]}``) in one more, instead of a transaction per ack frame (which
made acks the gateway's largest cost with readers online, and let a client acking each
frame by id take three times the gateway's work of one acking by seq).

An ack changes nothing a reader sees: the worker marks a notification delivered as soon as a
socket takes it, and replays mark what they send. An ack confirms it (and catches a row whose
marking was lost), so applying it a moment later, or losing the last interval's acks with a
crashed node, costs at most a retry that the client drops as already seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from backend.core import bulkhead
from backend.notifications import lifecycle
from gateway.blocking import Blocking

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.2


class Acks:
    def __init__(self, blocking: Blocking, interval: float = INTERVAL_SECONDS) -> None:
        self.blocking = blocking
        self.interval = interval
        # reader row id -> (seqs above this were acknowledged, up to this one)
        self._acked: dict[int, tuple[int, int]] = {}
        # The oldest created_at among the acknowledged frames (ISO 8601, UTC): the UPDATE looks
        # in the weeks from then only (notifications is partitioned by week).
        self._oldest: str | None = None
        self._ids: dict[int, set[uuid.UUID]] = {}  # reader row id -> ids acknowledged
        self._task: asyncio.Task[None] | None = None

    def note(self, reader_row_id: int, after: int, through: int, oldest: str | None) -> None:
        """Seqs ``after < seq <= through`` acknowledged (``after``: what the socket had
        acknowledged before, so a reader's long history is not scanned again each time);
        ``oldest``: the created_at of the oldest frame among them (None: the socket sent none
        since its last acknowledgement, so there is nothing to confirm)."""
        if through <= after or oldest is None:
            return
        self._merge(reader_row_id, after, through, oldest)

    def note_ids(self, reader_row_id: int, ids: Iterable[uuid.UUID]) -> None:
        self._ids.setdefault(reader_row_id, set()).update(ids)

    def _merge(self, reader_row_id: int, after: int, through: int, oldest: str) -> None:
        self._oldest = min(self._oldest or oldest, oldest)
        low, high = self._acked.get(reader_row_id, (after, through))
        self._acked[reader_row_id] = (min(low, after), max(high, through))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        try:
            await self._flush_seqs()
        finally:
            await self._flush_ids()

    async def _flush_ids(self) -> None:
        acked, self._ids = self._ids, {}
        if not acked:
            return

        async def apply(readers: Sequence[int]) -> None:
            await self.blocking.in_session(lifecycle.mark_delivered_by_ids,
                                           {r: acked[r] for r in readers})

        try:
            await bulkhead.apart(list(acked), apply, "acknowledgements by id of reader")
        except Exception:
            for reader, ids in acked.items():  # the database away: the next interval
                self.note_ids(reader, ids)
            raise

    async def _flush_seqs(self) -> None:
        acked, self._acked = self._acked, {}
        oldest, self._oldest = self._oldest, None
        if not (acked and oldest):
            return
        since = datetime.fromisoformat(oldest)

        async def apply(readers: Sequence[int]) -> None:
            await self.blocking.in_session(lifecycle.mark_delivered_through,
                                           {r: acked[r] for r in readers}, since)

        try:
            # One reader's acknowledgement that the UPDATE refuses fails alone.
            await bulkhead.apart(list(acked), apply, "acknowledgements of reader")
        except Exception:
            self._requeue(acked, oldest)  # the database away: the next interval tries again
            raise

    def _requeue(self, acked: dict[int, tuple[int, int]], oldest: str) -> None:
        for reader, (after, through) in acked.items():
            self._merge(reader, after, through, oldest)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - the database away: those acks are confirmations
                logger.warning("acknowledgements not applied", exc_info=True)
