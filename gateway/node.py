"""Everything one gateway node holds, built from its settings in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import redis.asyncio as aioredis
from starlette.requests import HTTPConnection

from backend.core.config import Settings
from backend.core.redis import connect_async
from backend.db.session import Database
from backend.notifications.frames import StoredFrame
from backend.notifications.inbox import ReaderKey, ReaderSummary
from gateway.acks import Acks
from gateway.auth import Authenticator
from gateway.batcher import Batcher
from gateway.blocking import THREADS, Blocking
from gateway.hub import Hub
from gateway.pending import Pending
from gateway.rate_limit import Budget, PerKey
from gateway.recovery import PageKey, load_readers, replay_pages
from gateway.routing import Routing


@dataclass
class Node:
    settings: Settings
    db: Database
    blocking: Blocking
    redis: aioredis.Redis
    hub: Hub
    routing: Routing
    auth: Authenticator
    pending: Pending
    acks: Acks
    readers: Batcher[ReaderKey, ReaderSummary]  # what sockets open on
    pages: Batcher[PageKey, list[StoredFrame]]  # replay pages
    inbox_rate: PerKey  # each reader's REST inbox requests on this node
    budget: Budget  # the database work of client frames, per socket and per tenant

    @classmethod
    def build(cls, settings: Settings) -> Node:
        redis_url, database_url = settings.require_urls()
        # A connection for each thread that may hold one: no connection opened and closed again
        # per call when all threads are busy.
        db = Database(database_url, pool_size=THREADS)
        client, hub = connect_async(redis_url), Hub()
        routing = Routing(hub, client, settings.gateway_heartbeat_seconds,
                          settings.gateway_reply_timeout_seconds)
        blocking = Blocking(db, Database(database_url, pool_size=THREADS, autocommit=True),
                            THREADS)
        return cls(settings, db, blocking, client, hub, routing, Authenticator(blocking),
                   Pending(settings.ws_max_pending_per_ip), Acks(blocking),
                   Batcher(partial(blocking.read, load_readers)),
                   Batcher(partial(blocking.read, replay_pages)),
                   PerKey(settings.inbox_requests_per_second),
                   Budget(settings.ws_ids_per_second, settings.ws_tenant_ids_per_second))

    async def start(self) -> None:
        await self.routing.start()
        await self.acks.start()

    async def stop(self) -> None:
        await self.acks.stop()
        await self.routing.stop()
        await self.redis.aclose()
        self.db.dispose()
        self.blocking.reads.dispose()


def node_of(connection: HTTPConnection) -> Node:
    node: Node = connection.app.state.node
    return node
