"""Sockets opening together share one load of their readers (``Batcher``): batches form
while a load runs, every waiting socket gets its own reader (or the failure), and one socket
giving up cancels nobody else's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from backend.notifications.inbox import Counts, ReaderKey, ReaderSummary
from gateway.batcher import Batcher

TENANT = uuid.uuid4()


def summary(row_id: int) -> ReaderSummary:
    return ReaderSummary(row_id, 0, "e", 0, Counts(0, 0, 0), None)


class Database:
    """Stands in for the load's thread and statement: records each call's keys."""

    def __init__(self, fail: bool = False, leave_out: str | None = None) -> None:
        self.calls: list[list[ReaderKey]] = []
        self.fail, self.leave_out = fail, leave_out
        self.release = asyncio.Event()

    async def load(self, keys: Sequence[ReaderKey]) -> dict[ReaderKey, ReaderSummary]:
        self.calls.append(list(keys))
        await self.release.wait()
        if self.fail:
            raise ConnectionError("database away")
        return {key: summary(int(key[1][1:])) for key in keys if key[1] != self.leave_out}


async def test_opens_arriving_during_a_load_share_the_next_one():
    db = Database()
    loader = Batcher(db.load)
    first = asyncio.create_task(loader.get((TENANT, "r0")))
    await asyncio.sleep(0)  # the first load starts with r0 alone
    rest = [asyncio.create_task(loader.get((TENANT, f"r{i}"))) for i in range(1, 301)]
    again = asyncio.create_task(loader.get((TENANT, "r7")))  # the same reader twice
    await asyncio.sleep(0)
    db.release.set()
    results = await asyncio.gather(first, *rest, again)
    assert [r.row_id for r in results] == [*range(301), 7]
    assert [len(keys) for keys in db.calls] == [1, 300]


async def test_batches_are_capped():
    db = Database()
    db.release.set()
    loader = Batcher(db.load, max_batch=100)
    results = await asyncio.gather(*(loader.get((TENANT, f"r{i}")) for i in range(250)))
    assert len(results) == 250
    assert [len(keys) for keys in db.calls] == [100, 100, 50]


async def test_a_failed_load_fails_every_socket_waiting_and_the_next_load_runs():
    db = Database(fail=True)
    loader = Batcher(db.load)
    waiting = [asyncio.create_task(loader.get((TENANT, f"r{i}"))) for i in range(3)]
    await asyncio.sleep(0)
    db.release.set()
    for task in waiting:
        with pytest.raises(ConnectionError):
            await task
    db.fail = False
    assert (await loader.get((TENANT, "r5"))).row_id == 5


async def test_a_reader_the_load_did_not_return_is_an_error_for_that_socket_alone():
    db = Database(leave_out="r2")
    db.release.set()
    loader = Batcher(db.load)
    one, two = await asyncio.gather(loader.get((TENANT, "r1")), loader.get((TENANT, "r2")),
                                    return_exceptions=True)
    assert isinstance(one, ReaderSummary) and one.row_id == 1
    assert isinstance(two, LookupError)


async def test_a_socket_giving_up_cancels_nobody_elses_load():
    db = Database()
    loader = Batcher(db.load)
    leaving = asyncio.create_task(loader.get((TENANT, "r1")))
    staying = asyncio.create_task(loader.get((TENANT, "r1")))
    await asyncio.sleep(0)
    leaving.cancel()
    db.release.set()
    assert (await staying).row_id == 1
    assert leaving.cancelled()
