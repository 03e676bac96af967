"""Each part of ``herald up`` SIGKILLed while notifications flow to connected readers: it is
restarted, the others keep serving, and the ledger holds (stored once, shown once, in order).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.ledger import Flow
from tests.support.system import HeraldUp


async def _until_some_delivered(flow: Flow, count: int = 20) -> None:
    while sum(len(r.frames) for r in flow.readers) < count:
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("part", ["worker", "bridge", "gateway", "beat", "api", "redis"])
async def test_a_killed_part_is_restarted_and_nothing_is_lost(herald: HeraldUp, flow: Flow,
                                                              part: str):
    await asyncio.wait_for(_until_some_delivered(flow), 60)
    old = herald.kill(part)
    await asyncio.to_thread(herald.wait_restarted, part, old)
    assert herald.process is not None and herald.process.poll() is None, "herald up stopped"
    accepted_before = len(flow.accepted)
    while len(flow.accepted) < accepted_before + 40:  # traffic after the restart too
        await asyncio.sleep(0.1)
    await flow.check(herald.database_dsn)
