"""Reaching a reader's sockets on every gateway node, through Redis.

Each node keeps, per reader it holds sockets for, a presence entry (node id -> expiry) that a
heartbeat refreshes, and listens on a pub/sub channel of its own. A push on any node offers
frames to its own sockets and asks the other nodes holding the reader over their channels;
their replies say whether a socket took each frame. A node that died stops refreshing, its
entries expire, and a publish to its channel reaches nobody: it counts as offline.

Each node also knows which other nodes are alive (announced when they start and stop, and
re-read with every heartbeat): a node alone delivers without asking Redis anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence

import redis.asyncio as aioredis

from backend.core import redis_keys, tracing
from backend.notifications.frames import ServerFrame
from backend.notifications.messages import LiveFrames, PushItem
from gateway.batcher import Batcher
from gateway.direct_write import together
from gateway.hub import Hub
from gateway.node_messages import NodeEvent, PushReply, PushRequest, ReaderKey, decode

logger = logging.getLogger(__name__)

# Readers present on this node until ARGV[2]: for each reader i of n, its presence hash
# KEYS[i] and its tenant's online set KEYS[n + i], where it is member ARGV[3 + i]. One
# command marks a whole chunk: four commands a reader meant four replies, each read under a
# timer of its own, and a heartbeat of 10,000 readers held the node's loop for over a second.
_MARK = """
local n = #ARGV - 3
for i = 1, n do
  redis.call('HSET', KEYS[i], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
  redis.call('ZADD', KEYS[n + i], ARGV[2], ARGV[3 + i])
  redis.call('PEXPIRE', KEYS[n + i], ARGV[3])
end
return n
"""
MARK_CHUNK = 500  # readers a command: Redis serves others between chunks


class Routing:
    def __init__(self, local: Hub, client: aioredis.Redis, heartbeat_seconds: float,
                 reply_timeout_seconds: float) -> None:
        self.hub = local
        self.redis = client
        self.node_id = uuid.uuid4().hex[:12]
        self._heartbeat_seconds = heartbeat_seconds
        self._ttl_ms = int(heartbeat_seconds * 3000)
        self._timeout = reply_timeout_seconds
        self._replies: dict[str, asyncio.Future[dict[str, bool]]] = {}
        self._others: set[str] = set()  # the other live nodes
        self._tasks: list[asyncio.Task[None]] = []
        self._presence: Batcher[ReaderKey, None] = Batcher(self._settle)
        self._mark_script = client.register_script(_MARK)

    async def start(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(redis_keys.gateway_node_channel(self.node_id),
                               redis_keys.GATEWAY_LIVE_CHANNEL)
        await self._report()
        await self.redis.publish(redis_keys.GATEWAY_LIVE_CHANNEL,
                                 NodeEvent(self.node_id, joined=True).encode())
        self._tasks = [asyncio.create_task(self._listen(pubsub)),
                       asyncio.create_task(self._heartbeat())]
        logger.info("gateway node %s routing through Redis", self.node_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self.hub.readers():
                pipe.hdel(redis_keys.presence(*key), self.node_id)
            pipe.hdel(redis_keys.GATEWAY_NODES, self.node_id)
            pipe.publish(redis_keys.GATEWAY_LIVE_CHANNEL,
                         NodeEvent(self.node_id, joined=False).encode())
            await pipe.execute()

    # presence -------------------------------------------------------------------------
    async def joined(self, key: ReaderKey) -> None:
        """Present from now on (the reader's first socket on this node opened)."""
        await self._presence.get(key)

    async def left(self, key: ReaderKey) -> None:
        """Absent from now on (its last socket closed), unless one opened meanwhile."""
        await self._presence.get(key)

    async def _settle(self, keys: Sequence[ReaderKey]) -> dict[ReaderKey, None]:
        """Each reader's presence as the hub holds it now, for readers joining and leaving
        together in one round trip: a reader who left and came back at once ends present,
        whatever order the two were asked in (a leave used to be a command of its own, each
        of a thousand closing sockets holding a connection of the pool)."""
        present = {key for key in keys if self.hub.count_for(key)}
        async with self.redis.pipeline(transaction=False) as pipe:
            await self._mark(pipe, [key for key in keys if key in present])
            for key in keys:
                if key not in present:
                    pipe.hdel(redis_keys.presence(*key), self.node_id)
            await pipe.execute()
        return dict.fromkeys(keys)

    async def _mark(self, pipe: aioredis.client.Pipeline, keys: Sequence[ReaderKey]) -> None:
        """Queue on ``pipe`` the marks of readers present here. The tenant's online set is
        there for a topic send to reach them first: a reader who left stays in it until its
        mark expires (a moment early in a fan-out, no more)."""
        until = int(time.time() * 1000) + self._ttl_ms
        for at in range(0, len(keys), MARK_CHUNK):
            chunk = keys[at:at + MARK_CHUNK]
            await self._mark_script(
                keys=[redis_keys.presence(*key) for key in chunk]
                + [redis_keys.online(str(key[0])) for key in chunk],
                args=[self.node_id, until, self._ttl_ms, *(key[1] for key in chunk)],
                client=pipe)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    await self._mark(pipe, self.hub.readers())
                    await pipe.execute()
                await self._report()
            except aioredis.RedisError:
                logger.exception("presence heartbeat failed")

    async def _report(self) -> None:
        """What this node holds, for ``herald status``; and which other nodes are alive."""
        stats = {"sockets": self.hub.count(), "readers": len(self.hub.readers()),
                 "at": time.time(), "expires": time.time() + self._ttl_ms / 1000}
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(redis_keys.GATEWAY_NODES, self.node_id, json.dumps(stats))
            pipe.hgetall(redis_keys.GATEWAY_NODES)
            _, nodes = await pipe.execute()
        now = time.time()
        self._others = {node for node, raw in nodes.items()
                        if node != self.node_id and json.loads(raw).get("expires", 0) > now}

    async def _nodes(self, readers: list[ReaderKey]) -> dict[ReaderKey, list[str]]:
        """Other live nodes holding each reader (none to look up when this node is alone)."""
        if not self._others:
            return {key: [] for key in readers}
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in readers:
                pipe.hgetall(redis_keys.presence(*key))
            found = await pipe.execute()
        now = time.time() * 1000
        return {key: [node for node, expiry in entries.items()
                      if node != self.node_id and float(expiry) > now]
                for key, entries in zip(readers, found, strict=True)}

    # delivering -------------------------------------------------------------------------
    async def deliver(self, items: list[PushItem]) -> dict[str, bool]:
        """Offer notification frames everywhere; per id, whether any socket took it."""
        results: dict[str, bool] = {}
        nodes = await self._nodes(list({item.reader for item in items}))
        remote: dict[str, list[PushItem]] = defaultdict(list)
        with together():
            for item in items:
                results[item.notification_id] = self._send_local(item)
                for node in nodes[item.reader]:
                    remote[node].append(item)
        answers = await asyncio.gather(*(self._ask(node, batch) for node, batch in remote.items()))
        for answer in answers:
            for nid, taken in answer.items():
                results[nid] = results.get(nid, False) or taken
        return results

    def _send_local(self, item: PushItem) -> bool:
        """Offer to this node's sockets; with tracing on, the frame carries this node's span
        (``tracing.FRAME_KEY``) to the socket's writer, which takes it off before sending."""
        if item.traceparent is None or not tracing.on():
            return self.hub.send(item.reader, item.frame)
        with tracing.span("herald.gateway.push", item.traceparent,
                          {"herald.notification_id": item.notification_id}) as span:
            frame = {**item.frame, tracing.FRAME_KEY: tracing.traceparent_of(span)} \
                if span else item.frame
            taken = self.hub.send(item.reader, frame)
            if span:
                span.set_attribute("herald.taken", taken)
            return taken

    async def _ask(self, node: str, items: list[PushItem]) -> dict[str, bool]:
        rid = uuid.uuid4().hex
        future: asyncio.Future[dict[str, bool]] = asyncio.get_running_loop().create_future()
        self._replies[rid] = future
        try:
            message = PushRequest(rid, self.node_id, items).encode()
            if not await self.redis.publish(redis_keys.gateway_node_channel(node), message):
                return {}  # nobody listens there any more: that node is gone
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            logger.warning("gateway node %s did not answer a push in time", node)
            return {}
        finally:
            self._replies.pop(rid, None)

    async def broadcast(self, key: ReaderKey, frames: list[ServerFrame]) -> None:
        """Frames for every socket of a reader, on every node (state changes, counts): one
        presence lookup and one message per node however many frames."""
        with together():
            for frame in frames:
                self.hub.send(key, frame)
        message = LiveFrames(*key, frames).encode()
        for node in (await self._nodes([key]))[key]:
            await self.redis.publish(redis_keys.gateway_node_channel(node), message)

    async def _listen(self, pubsub: aioredis.client.PubSub) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        await self._handle(message["data"])
            except aioredis.RedisError:
                logger.exception("gateway channel lost; resubscribing")
                await asyncio.sleep(1)

    async def _handle(self, raw: str) -> None:
        message = decode(raw)
        if isinstance(message, PushRequest):
            with together():
                taken = {item.notification_id: self.hub.send(item.reader, item.frame)
                         for item in message.items}
            await self.redis.publish(redis_keys.gateway_node_channel(message.reply_to),
                                     PushReply(message.rid, taken).encode())
        elif isinstance(message, LiveFrames):
            with together():
                for frame in message.frames:
                    self.hub.send(message.reader, frame)
        elif isinstance(message, NodeEvent):
            if message.node_id != self.node_id:
                (self._others.add if message.joined else self._others.discard)(message.node_id)
        else:
            future = self._replies.get(message.rid)
            if future is not None and not future.done():
                future.set_result(message.results)
