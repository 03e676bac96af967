"""One ``herald up`` shared by the fault tests (each uses readers of its own), as a user runs
it: embedded Redis and PostgreSQL under supervisord with every part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ledger import Flow
from tests.support.peers import FAKE_SLACK_POLICY, SlackWebhook, SmtpServer
from tests.support.system import HeraldUp


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackWebhook]:
    hook = SlackWebhook()
    yield hook
    hook.close()


@pytest.fixture(scope="session")
def herald(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[HeraldUp]:
    root = tmp_path_factory.mktemp("faults")
    system = HeraldUp(root / ".herald", root / "up.log", {
        "HERALD_SMTP_URL": smtp.url,
        "HERALD_RETRY_MAX_ATTEMPTS": "2",
        "HERALD_FALLBACK_BASE_SECONDS": "0.5",
        "HERALD_FALLBACK_MAX_ATTEMPTS": "10",
        # Small waits, so that recovery shows within a test.
        "HERALD_BRIDGE_BLOCK_MS": "200",
        "HERALD_RETRY_BASE_SECONDS": "0.5",
        "HERALD_DISPATCH_INTERVAL_SECONDS": "0.2",
        "HERALD_BEAT_LOCK_TTL_SECONDS": "3",
        "HERALD_VISIBILITY_TIMEOUT_SECONDS": "20",
        "HERALD_BRIDGE_CLAIM_IDLE_MS": "5000",
        "HERALD_STREAM_REDELIVER_AFTER_SECONDS": "10",
        **FAKE_SLACK_POLICY,
        # One test tenant sends tens of thousands in a few seconds.
        "HERALD_TENANT_RATE_PER_SECOND": "100000",
        "HERALD_TENANT_BURST": "1000000",
    })
    system.start()
    yield system
    system.stop()


@pytest.fixture
async def flow(herald: HeraldUp) -> Flow:
    creds = herald.creds()
    flow = Flow(herald.api_url, herald.ws_url, creds["secret_key"], creds["publishable_key"])
    await flow.start()
    return flow
