"""Property: whatever the interleaving of pushes, out-of-order deliveries, disconnects and
reconnects, a client that resumes from its last gap-free seq ends up holding exactly the
notifications sent, in seq order, none twice."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.notifications.messages import PushItem
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, TenantKeys

Op = tuple[str, int]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(1, 4)),
        st.tuples(st.just("push"), st.integers(0, 50)),
        st.tuples(st.just("disconnect"), st.just(0)),
        st.tuples(st.just("reconnect"), st.just(0)),
    ),
    min_size=1, max_size=25,
)


class Client:
    """What a resuming client holds: seq -> id, and the highest seq with no gap below it."""

    def __init__(self) -> None:
        self.held: dict[int, str] = {}
        self.duplicates: list[int] = []
        self.sock: Socket | None = None
        self.reader: asyncio.Task | None = None

    @property
    def contiguous(self) -> int:
        seq = 0
        while seq + 1 in self.held:
            seq += 1
        return seq

    async def read(self, sock: Socket) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await sock.next_of("notification", timeout=3600)
                if frame["seq"] in self.held:
                    self.duplicates.append(frame["seq"])
                self.held[frame["seq"]] = frame["id"]

    async def reconnect(self, stack: Stack, tenant: TenantKeys, token: str) -> None:
        if self.sock is None:
            self.sock = await connect(stack.ws_url, tenant.publishable_key, token,
                                      since=self.contiguous)
            self.reader = asyncio.create_task(self.read(self.sock))

    async def disconnect(self) -> None:
        """Close, then let the reader take what the socket had already received. Cancelling
        the reader instead raced the reconnect: Python 3.11's ``wait_for`` drops a cancel
        that finds a frame already there, so the old reader could record a frame after the
        new socket had been asked for everything past ``contiguous``, and that frame came
        twice (the rare "duplicate seq" hypothesis could not reproduce)."""
        if self.sock is not None:
            await self.sock.close()
            await self.reader  # ends on the closed socket (``read`` stops on any error)
            self.sock = None


def create(tenant: TenantKeys, user: str, count: int) -> list[PushItem]:
    from backend.notifications.intake import build_entries
    from backend.notifications.persist import persist_batch
    from backend.notifications.schemas import NotificationCreate
    from tests.support.db import session_scope

    entries = []
    for _ in range(count):
        request = NotificationCreate.model_validate(
            {"recipients": [user], "content": {"title": "p"}, "channels": ["in_app"]})
        entries += build_entries(uuid.UUID(tenant.tenant_id), request)[0]
    with session_scope() as session:
        return persist_batch(session, entries).pushes


async def scenario(ops: list[Op], stack: Stack, tenant: TenantKeys) -> None:
    user = f"prop-{uuid.uuid4().hex[:8]}"
    token = token_for(stack.api_url, tenant.secret_key, user)
    client, unpushed, sent_ids = Client(), [], []
    gateway = httpx.AsyncClient(base_url=stack.gateway_url,
                                headers={"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]})

    async def push(item: PushItem) -> None:
        await gateway.post("/internal/push", json={"items": [item.to_dict()]})

    for op, arg in ops:
        if op == "create":
            items = create(tenant, user, arg)
            unpushed += items
            sent_ids += [i.notification_id for i in items]
        elif op == "push" and unpushed:
            await push(unpushed.pop(arg % len(unpushed)))  # any order, not seq order
        elif op == "disconnect":
            await client.disconnect()
        elif op == "reconnect":
            await client.reconnect(stack, tenant, token)
    for item in reversed(unpushed):
        await push(item)
    await client.disconnect()
    await client.reconnect(stack, tenant, token)
    await asyncio.wait_for(_until(lambda: client.contiguous == len(sent_ids)), 20)
    await client.disconnect()
    await gateway.aclose()

    assert client.duplicates == []
    assert sorted(client.held) == list(range(1, len(sent_ids) + 1))
    assert [client.held[s] for s in sorted(client.held)] == sent_ids


async def _until(predicate) -> None:  # noqa: ANN001
    while not predicate():
        await asyncio.sleep(0.02)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_client_holds_exactly_what_was_sent(ops: list[Op], stack: Stack, tenant: TenantKeys):
    asyncio.run(scenario(ops, stack, tenant))
