"""Each part of ``herald up`` SIGKILLed while notifications flow to connected readers: it is
restarted, the others keep serving, and the ledger holds (stored once, shown once, in order).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.ledger import Flow
from tests.support.system import HeraldUp


@pytest.mark.parametrize("part", ["worker", "bridge", "gateway", "beat", "api", "redis"])
async def test_a_killed_part_is_restarted_and_nothing_is_lost(herald: HeraldUp, flow: Flow,
                                                              part: str):
    await flow.flowing()
    old = herald.kill(part)
    await asyncio.to_thread(herald.wait_restarted, part, old)
    assert herald.process is not None and herald.process.poll() is None, "herald up stopped"
    await flow.more_accepted()  # traffic after the restart too
    await flow.check(herald.database_dsn)
