"""A worker SIGKILLed mid-batch: its messages come back after the visibility timeout (one lost
in the transport as it was taken is published again by the bridge), every
notification is persisted once, and the socket shows none twice and misses none."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from tests.support.sockets import connect, token_for
from tests.support.stack import SideStack, Stack, StartPart, TenantKeys

TOTAL = 3000


async def test_worker_killed_mid_batch_loses_and_repeats_nothing(
    side_stack, start_part: StartPart, stack: Stack, tenant: TenantKeys
):
    # A worker killed between taking a message off its queue and recording it as held loses
    # that message (Celery's Redis transport); the bridge publishes such an entry again once
    # it has been in flight this long (in production: HERALD_STREAM_REDELIVER_AFTER_SECONDS).
    side: SideStack = side_stack(2, visibility_timeout_seconds="3",
                                 stream_redeliver_after_seconds="5")
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key},
                       timeout=60)
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "crash"), since=0)
    for start in range(0, TOTAL, 100):
        items = [{"recipients": ["crash"], "content": {"title": f"n{start + i}"}}
                 for i in range(100)]
        assert api.post("/v1/notifications/batch", json={"items": items}).status_code == 202

    while len(sock.notifications()) < 300:
        await sock.next_of("notification", timeout=60)
    side.worker.kill()
    start_part("worker", name="worker-db2-again", redis_url=side.redis_url,
               gateway_url=stack.gateway_url, visibility_timeout_seconds="3")
    while len(sock.notifications()) < TOTAL:
        try:
            await sock.next_of("notification", timeout=90)
        except TimeoutError:
            seqs = {f["seq"] for f in sock.notifications()}
            missing = sorted(set(range(1, TOTAL + 1)) - seqs)
            raise AssertionError(f"{len(seqs)} of {TOTAL} frames after 90 s of silence; "
                                 f"missing seqs {missing[:20]}…") from None

    frames = sock.notifications()
    assert [f["seq"] for f in frames] == list(range(1, TOTAL + 1))
    assert len({f["id"] for f in frames}) == TOTAL
    await sock.close()

    from backend.db.models import Notification, User
    from tests.support.db import session_scope

    with session_scope() as session:
        tid = uuid.UUID(tenant.tenant_id)
        rows = session.scalar(select(func.count()).where(Notification.tenant_id == tid))
        last_seq = session.scalar(select(User.last_seq).where(User.tenant_id == tid,
                                                              User.external_id == "crash"))
    assert (rows, last_seq) == (TOTAL, TOTAL)
