"""The stream bridge: moves accepted notifications from the ingest stream to Celery, and
chooses what goes first.

Each partition's lanes (a stream per priority and group of tenants) are read through a
consumer group into waiting lines, one per Celery queue, where tenants take turns (deficit
round robin, ``rotation``). A queue is given the next batch only while it holds fewer than
``bridge_queued_batches`` (the high queue ``bridge_queued_high_batches``): the rest of a
backlog waits in Redis, so high entries overtake low ones already waiting, and a quiet
tenant's batch goes before a flooding tenant's backlog.

Entries are acknowledged only after their batch was published, so a bridge killed in between
re-reads them from its pending list on start (and publishes those at once: they waited their
turn already); the worker is idempotent on notification ids, so the replay shows nothing
twice. Entries stuck with a dead consumer are claimed; entries that keep failing become dead
letters.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any, cast

import kombu.exceptions
import redis
from celery import Celery

from backend.bridge.redelivery import held_messages_text, lost_entries
from backend.bridge.rotation import Rotation
from backend.core import celery_json, collector, tracing
from backend.core import redis_keys as keys
from backend.core.config import Settings
from backend.core.logs import journey
from backend.core.redis import celery_broker, celery_transport
from backend.notifications import dead_letters, fairness, queues, stream
from backend.notifications.messages import QueuedEntry, StreamEntry

logger = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]
Read = list[tuple[str, list[Entry]]]  # per lane, its entries

# Entries a lane may have read but not published yet, in batches: past it, the lane's
# entries wait in Redis (so a backlog fills its own lane, not the bridge's memory).
LANE_BATCHES_READ = 2
# How often a bridge whose queues are full looks again whether they have room: every 20 ms
# for the first second (workers free up that often under load, and a queue left empty
# meanwhile leaves a worker idle), then less often while nothing drains them (no worker
# running), up to the longest. Doubling from the first stall left a full queue's room unseen
# for up to 320 ms: a quiet tenant's entry waited that much longer.
POLL_MS = 20
FAST_POLLS = 50
LONGEST_POLL_MS = 320
PUBLISH_ORDER = (queues.HIGH, queues.DEFAULT, queues.LOW)
# A tenant with at most this many normal entries waiting at the bridge is not flooding: they
# go on the quiet queue, taken before the default queue's batches.
QUIET_MOST = 50
# A tenant seen with more than that waiting counts as flooding for this long after: between
# its batches it has a few left, and those are not a quiet tenant's.
FLOODING_SECONDS = 5.0
# How long a reader's entry may wait for the reader's one before it (published in an earlier
# batch, likely held by the other worker process) to be stored first; past it (that one was
# lost with its worker, or dead-lettered), it is stored anyway.
ORDER_WAIT_SECONDS = 5.0
# Readers whose last published entry the bridge remembers, before it forgets the stale ones.
REMEMBERED_READERS = 100_000


def entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


class Bridge:
    def __init__(self, client: redis.Redis, celery: Celery, settings: Settings,
                 partition: int = 0, stopping: threading.Event | None = None) -> None:
        self.redis = client
        self.partition = partition
        self.lanes = stream.lanes(partition)
        self.celery = celery
        self.batch_size = settings.batch_size
        # A batch per queue: the low queue's smaller, so that a high one waits less for it.
        self.sizes = {queue: settings.low_batch_size if queue == queues.LOW
                      else settings.batch_size for queue in PUBLISH_ORDER}
        self.block_ms = settings.bridge_block_ms
        self.consumer = settings.bridge_consumer
        self.claim_idle_ms = settings.bridge_claim_idle_ms
        self.max_deliveries = settings.max_deliveries
        self.dead_letters_kept = settings.dead_letters_per_tenant
        self.redeliver_after_ms = int(settings.stream_redeliver_after_seconds * 1000)
        # Batches each queue may hold before the bridge publishes more to it.
        self.rooms = {queue: settings.bridge_queued_high_batches if queue == queues.HIGH
                      else settings.bridge_queued_batches
                      for queue in (*PUBLISH_ORDER, queues.QUIET)}
        self.waiting = {queue: Rotation[QueuedEntry](self.sizes[queue], settings.tenant_weights)
                        for queue in PUBLISH_ORDER}
        self.read_per_lane: Counter[str] = Counter()  # read, not published yet
        self.stopping = stopping or threading.Event()
        self._next_claim = 0.0
        self._next_recovery = 0.0
        self._next_refresh = 0.0
        self._stalled = 0  # steps in a row in which entries waited and no queue had room
        self._batches = 0
        self._flooding: dict[str, float] = {}  # tenant -> until when it counts as flooding
        # (lane, tenant, reader) -> the batch, id and time of the reader's last entry sent
        self._last_sent: dict[tuple[str, str, str], tuple[int, str, float]] = {}

    def ensure_group(self) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for lane in self.lanes:
                # From id 0: entries accepted before the first bridge ever ran are not skipped.
                pipe.xgroup_create(lane, keys.BRIDGE_GROUP, id="0", mkstream=True)
            for outcome in pipe.execute(raise_on_error=False):
                if isinstance(outcome, redis.ResponseError) and "BUSYGROUP" not in str(outcome):
                    raise outcome

    def _read(self, cursors: dict[str, str], block: int | None) -> Read:
        reply = cast(list[tuple[str, list[tuple[str, dict[str, str] | None]]]],
                     self.redis.xreadgroup(keys.BRIDGE_GROUP, self.consumer,
                                           cast(Any, cursors), count=self.batch_size,
                                           block=block))
        # Deleted entries (erasure) come back without fields: nothing to publish.
        return [(lane, [(eid, fields) for eid, fields in entries if fields])
                for lane, entries in reply or [] if entries]

    def pending(self) -> Iterator[tuple[str, list[Entry]]]:
        """This consumer's entries read before a crash but never acknowledged."""
        for lane in self.lanes:
            cursor = "0"
            while read := cast(list[Any], self.redis.xreadgroup(
                    keys.BRIDGE_GROUP, self.consumer, {lane: cursor}, count=self.batch_size)):
                if not (entries := read[0][1]):
                    break
                yield lane, [(eid, fields) for eid, fields in entries if fields]
                cursor = entries[-1][0]

    def claim(self) -> Read:
        """Entries left too long with another (dead) consumer become ours."""
        if time.monotonic() < self._next_claim:
            return []
        self._next_claim = time.monotonic() + self.claim_idle_ms / 2000
        found: Read = []
        for lane in self.lanes:
            reply = self.redis.xautoclaim(lane, keys.BRIDGE_GROUP, self.consumer,
                                          self.claim_idle_ms, start_id="0-0",
                                          count=self.batch_size)
            # Redis 7 adds a third element (deleted ids); 6.2 does not.
            if claimed := [(eid, fields) for eid, fields in reply[1] if fields]:
                found.append((lane, claimed))
        return found

    def refresh(self) -> None:
        """Entries waiting their turn here are not a dead consumer's: claiming them again
        keeps them from looking idle to a claim (this bridge's or another's)."""
        if time.monotonic() < self._next_refresh:
            return
        self._next_refresh = time.monotonic() + self.claim_idle_ms / 4000
        by_lane: dict[str, list[str]] = defaultdict(list)
        for rotation in self.waiting.values():
            for queued in rotation:
                by_lane[queued.lane].append(queued.stream_id)
        with self.redis.pipeline(transaction=False) as pipe:
            for lane, ids in by_lane.items():
                for start in range(0, len(ids), self.batch_size):
                    pipe.xclaim(lane, keys.BRIDGE_GROUP, self.consumer, 0,
                                cast(Any, ids[start:start + self.batch_size]), justid=True)
            pipe.execute()

    def _drop_poison(self, lane: str, entries: list[Entry]) -> list[Entry]:
        """Dead-letter replayed entries delivered more often than allowed; return the rest."""
        details = cast(list[dict[str, Any]], self.redis.xpending_range(
            lane, keys.BRIDGE_GROUP, min=entries[0][0], max=entries[-1][0],
            count=len(entries) * 2,
        ))
        counts: dict[str, int] = {d["message_id"]: int(d["times_delivered"]) for d in details}
        healthy = []
        for eid, fields in entries:
            if counts.get(eid, 0) > self.max_deliveries:
                self._dead_letter(lane, eid, fields, f"read {counts[eid]} times, never published")
            else:
                healthy.append((eid, fields))
        return healthy

    def _dead_letter(self, lane: str, eid: str, fields: dict[str, str], reason: str) -> None:
        raw = fields.get("n", "")
        try:
            payload: dict[str, Any] | str = json.loads(raw)
        except ValueError:
            payload = raw
        dead_letters.add(self.redis, f"stream entry {eid}: {reason}", payload,
                         self.dead_letters_kept)
        self.redis.xack(lane, keys.BRIDGE_GROUP, eid)

    def _decode(self, lane: str, entries: list[Entry]) -> list[tuple[str, QueuedEntry]]:
        """The entries that can be published, each with the queue it goes to: its priority's,
        or the low queue for a tenant demoted for now (``fairness``)."""
        decoded: list[QueuedEntry] = []
        for eid, fields in entries:
            try:
                entry = StreamEntry.decode(fields["n"])
                if entry.priority not in queues.BY_PRIORITY:
                    raise ValueError(f"unknown priority {entry.priority!r}")
            except (KeyError, ValueError, TypeError) as exc:
                self._dead_letter(lane, eid, fields, f"unreadable entry: {exc!r}")
                continue
            decoded.append(QueuedEntry(eid, entry, lane, fields["n"]))
        demoted = fairness.demoted(self.redis, (q.entry.tenant_id for q in decoded))
        return [(queues.LOW if q.entry.tenant_id in demoted
                 else queues.BY_PRIORITY[q.entry.priority], q) for q in decoded]

    def take(self, lane: str, entries: list[Entry]) -> None:
        """Newly read entries wait their turn."""
        tenants: set[str] = set()
        for queue, queued in self._decode(lane, entries):
            self.waiting[queue].add(queued.entry.tenant_id, queued)
            self.read_per_lane[lane] += 1
            tenants.add(queued.entry.tenant_id)
        default, until = self.waiting[queues.DEFAULT], time.monotonic() + FLOODING_SECONDS
        for tenant in tenants:
            if default.waiting_of(tenant) > QUIET_MOST:
                self._flooding[tenant] = until

    def forward(self, lane: str, entries: list[Entry], replayed: bool = False) -> None:
        """Publish at once: entries replayed, claimed or lost waited their turn before."""
        if replayed:
            entries = self._drop_poison(lane, entries) if entries else entries
        by_queue: dict[str, list[QueuedEntry]] = defaultdict(list)
        for queue, queued in self._decode(lane, entries):
            by_queue[queue].append(queued)
        for queue, batch in by_queue.items():
            size = self.sizes[queue]
            for start in range(0, len(batch), size):
                self._send(queue, batch[start:start + size])

    def publish(self) -> int:
        """Fill each queue up to its room (``rooms``), high first, tenants in turn; how many
        batches went."""
        wanted = [queue for queue in PUBLISH_ORDER if self.waiting[queue]]
        if not wanted:
            return 0
        sent = 0
        with self.redis.pipeline(transaction=False) as pipe:
            for queue in [*wanted, queues.QUIET]:
                pipe.llen(queue)
            *depths, quiet_depth = pipe.execute()
        if int(dict(zip(wanted, depths, strict=True)).get(queues.DEFAULT, 0)):
            sent += self._publish_quiet(int(quiet_depth))  # a line to pass: the quiet lane
        for queue, depth in zip(wanted, depths, strict=True):
            sent += self._fill(queue, self.rooms[queue] - int(depth),
                               partial(self.waiting[queue].fill, self.sizes[queue]))
        return sent

    def _publish_quiet(self, depth: int) -> int:
        """While batches wait in the default queue, normal entries of tenants with few
        waiting go on the quiet queue, taken before it; how many batches went."""
        now = time.monotonic()
        self._flooding = {t: until for t, until in self._flooding.items() if until > now}
        waiting = self.waiting[queues.DEFAULT]
        return self._fill(queues.QUIET, self.rooms[queues.QUIET] - depth,
                          lambda: waiting.take_light(QUIET_MOST, self.batch_size, self._flooding))

    def _fill(self, queue: str, room: int, take: Callable[[], list[QueuedEntry]]) -> int:
        """Up to ``room`` batches of ``take()`` published on ``queue``; how many went."""
        sent = 0
        while sent < room and (batch := take()):
            self._send(queue, batch)
            self.read_per_lane.subtract(q.lane for q in batch)
            sent += 1
        return sent

    def _in_order(self, batch: list[QueuedEntry]) -> list[QueuedEntry]:
        """Each entry whose reader's previous one in the lane went in another batch, a moment
        ago, names it: the worker stores it after that one (``after``)."""
        self._batches += 1
        now, out = time.time(), []
        if len(self._last_sent) > REMEMBERED_READERS:
            self._last_sent = {key: last for key, last in self._last_sent.items()
                               if now - last[2] < ORDER_WAIT_SECONDS}
        for queued in batch:
            key = (queued.lane, queued.entry.tenant_id, queued.entry.recipient)
            last = self._last_sent.get(key)
            self._last_sent[key] = (self._batches, queued.entry.id, now)
            if last is not None and last[0] != self._batches and now - last[2] < ORDER_WAIT_SECONDS:
                queued = replace(queued, after=last[1], after_until=now + ORDER_WAIT_SECONDS)
            out.append(queued)
        return out

    def _send(self, queue: str, batch: list[QueuedEntry]) -> None:
        batch = self._in_order(batch)
        if tracing.on():
            batch = [_traced(queued, queue) for queued in batch]
        by_lane: dict[str, list[str]] = defaultdict(list)
        for queued in batch:
            by_lane[queued.lane].append(queued.stream_id)
        # Marked in flight before the ack, so the trimmer never cuts an unpersisted entry.
        now_ms = int(time.time() * 1000)
        with self.redis.pipeline(transaction=False) as pipe:
            for lane, ids in by_lane.items():
                pipe.zadd(keys.inflight(lane), {eid: entry_ms(eid) for eid in ids})
                pipe.zadd(keys.inflight_published(lane), dict.fromkeys(ids, now_ms))
            pipe.execute()
        self.celery.send_task(queues.DELIVER_BATCH, args=[[q.to_dict() for q in batch]],
                              queue=queue, serializer=celery_json.NAME)
        journey(logger, f"queued on {queue}", ((q.entry.tenant_id, q.entry.id) for q in batch))
        # Only now: a crash before this line means the entries are published again on restart.
        with self.redis.pipeline(transaction=False) as pipe:
            for lane, ids in by_lane.items():
                pipe.xack(lane, keys.BRIDGE_GROUP, *ids)
            pipe.execute()

    def recover_lost(self) -> Read:
        """In-flight entries whose Celery message was lost: read them again from the stream."""
        if time.monotonic() < self._next_recovery:
            return []
        self._next_recovery = time.monotonic() + min(self.redeliver_after_ms / 4000, 30)
        cutoff = int(time.time() * 1000) - self.redeliver_after_ms
        with self.redis.pipeline(transaction=False) as pipe:
            for lane in self.lanes:
                pipe.zrangebyscore(keys.inflight_published(lane), "-inf", cutoff, start=0,
                                   num=self.batch_size)
            stale = [(lane, cast(str, sid)) for lane, found in zip(
                self.lanes, pipe.execute(), strict=True) for sid in found]
        if not stale:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for lane, sid in stale:
                pipe.xrange(lane, sid, sid)
            for queue in queues.ALL:
                pipe.llen(queue)
            pipe.hvals(keys.CELERY_UNACKED)
            *found, held = pipe.execute()
        waiting = {q for q, n in zip(queues.ALL, found[len(stale):], strict=True) if n}
        if queues.LOW in waiting:  # a demoted tenant's entries wait there, whatever priority
            waiting |= set(queues.BY_PRIORITY.values())
        if queues.QUIET in waiting:  # so do normal entries of tenants with few waiting
            waiting.add(queues.DEFAULT)
        held_text = held_messages_text(held)
        by_lane: dict[str, dict[str, dict[str, str] | None]] = defaultdict(dict)
        for (lane, sid), rows in zip(stale, found, strict=False):
            by_lane[lane][sid] = rows[0][1] if rows else None
        lost: Read = []
        for lane, entries in by_lane.items():
            if gone := [sid for sid, fields in entries.items() if fields is None]:
                # Persisted and released meanwhile, or trimmed: nothing left to do.
                self.redis.zrem(keys.inflight_published(lane), *gone)
            there = {sid: fields for sid, fields in entries.items() if fields is not None}
            ids = lost_entries(there, held_text, {
                sid: queues.BY_PRIORITY.get(_priority(fields), "")
                for sid, fields in there.items()}, waiting)
            if ids:
                lost.append((lane, [(sid, there[sid]) for sid in ids]))
        return lost

    def _forget_waiting(self) -> None:
        """After a failure everything read is re-read from the pending lists."""
        for rotation in self.waiting.values():
            rotation.clear()
        self.read_per_lane.clear()

    def step(self, replay: bool) -> None:
        if replay:
            self._forget_waiting()
            for lane, entries in self.pending():
                logger.info("replaying %d pending entries of %s", len(entries), lane)
                self.forward(lane, entries, replayed=True)
        for lane, claimed in self.claim():
            logger.info("claimed %d entries of %s from dead consumers", len(claimed), lane)
            self.forward(lane, claimed, replayed=True)
        for lane, lost in self.recover_lost():
            logger.warning("publishing %d in-flight entries of %s again: their Celery "
                           "messages were lost", len(lost), lane)
            self.forward(lane, lost)
        readable = {lane: ">" for lane in self.lanes
                    if self.read_per_lane[lane] < LANE_BATCHES_READ * self.batch_size}
        poll = min(POLL_MS << max(0, self._stalled - FAST_POLLS), LONGEST_POLL_MS)
        if readable:
            for lane, entries in self._read(
                    readable, poll if any(self.waiting.values()) else self.block_ms):
                self.take(lane, entries)
        else:
            self.stopping.wait(poll / 1000)
        stalled = not self.publish() and any(self.waiting.values())
        self._stalled = min(self._stalled + 1, FAST_POLLS + 4) if stalled else 0
        self.refresh()

    def run(self) -> None:
        replay = True  # on start and after any failure, our own pending entries come first
        while not self.stopping.is_set():
            try:
                if replay:
                    self.ensure_group()
                    logger.info("bridge %s reading %s (%d lanes)", self.consumer,
                                keys.ingest_stream(self.partition), len(self.lanes))
                self.step(replay)
                replay = False
            except (redis.RedisError, kombu.exceptions.OperationalError):
                logger.exception("bridge step failed; retrying in 1 s")
                replay = True
                self.stopping.wait(1)


def _traced(queued: QueuedEntry, queue: str) -> QueuedEntry:
    """The entry's time in Redis and the bridge, from its append to its publish, as a span."""
    traceparent = tracing.stage("herald.bridge", queued.entry.traceparent,
                                entry_ms(queued.stream_id) * 1_000_000,
                                {"herald.notification_id": queued.entry.id,
                                 "herald.queue": queue, "herald.lane": queued.lane})
    return replace(queued, traceparent=traceparent)


def _priority(fields: dict[str, str]) -> str:
    try:
        return StreamEntry.decode(fields["n"]).priority
    except (KeyError, ValueError, TypeError):
        return ""


def celery_producer(redis_url: str) -> Celery:
    """A Celery app that only publishes: tasks are named, never imported, by the bridge."""
    broker, transport = celery_broker(redis_url)
    producer = Celery("herald-bridge", broker=broker, set_as_current=False)
    producer.conf.update(task_serializer="json", accept_content=["json"],
                         task_send_sent_event=True, broker_connection_retry_on_startup=True,
                         broker_transport_options=transport,
                         broker_transport=celery_transport(redis_url))
    return producer


# How often a bridge looks whether a producer has written to more partitions than it reads.
PARTITIONS_CHECK_SECONDS = 10.0


def run_bridge(client: redis.Redis, settings: Settings) -> None:
    """One consumer (a thread) per partition of the ingest stream; exits non-zero if one of
    them died, so its supervisor starts the bridge again."""
    redis_url, _ = settings.require_urls()
    collector.settle(settings)
    tracing.setup("bridge")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    threads: list[threading.Thread] = []
    while not stopping.is_set():
        for partition in range(len(threads), _partitions(client, settings)):
            bridge = Bridge(client, celery_producer(redis_url), settings, partition, stopping)
            threads.append(threading.Thread(target=bridge.run, name=f"bridge-{partition}"))
            threads[-1].start()
        if not all(t.is_alive() for t in threads):
            stopping.set()
            raise SystemExit("a bridge consumer died; stopping the others")
        stopping.wait(PARTITIONS_CHECK_SECONDS)
    for thread in threads:
        thread.join()
    tracing.flush()


def _partitions(client: redis.Redis, settings: Settings) -> int:
    try:
        return stream.partitions_in_use(client, settings.ingest_partitions)
    except redis.RedisError:  # Redis away: the consumers retry on their own meanwhile
        return settings.ingest_partitions
