"""The stream bridge: moves accepted notifications from the ingest stream to Celery.

Entries are read through a consumer group and acknowledged only after their batch was
published, so a bridge killed in between re-reads them from its pending list on start;
the worker is idempotent on notification ids, so the replay shows nothing twice. Entries
stuck with a dead consumer are claimed; entries that keep failing become dead letters.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, cast

import kombu.exceptions
import redis
from celery import Celery

from backend.bridge.redelivery import held_messages_text, lost_entries
from backend.core import collector
from backend.core import redis_keys as keys
from backend.core.config import Settings
from backend.core.logs import journey
from backend.core.redis import celery_broker, celery_transport
from backend.notifications import dead_letters, fairness, queues, stream
from backend.notifications.messages import QueuedEntry, StreamEntry

logger = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]


def entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


class Bridge:
    def __init__(self, client: redis.Redis, celery: Celery, settings: Settings,
                 partition: int = 0, fair_share: fairness.FairShare | None = None,
                 stopping: threading.Event | None = None) -> None:
        self.redis = client
        self.partition = partition
        self.stream = keys.ingest_stream(partition)
        self.inflight = keys.inflight(partition)
        self.published = keys.inflight_published(partition)
        self.celery = celery
        self.batch_size = settings.batch_size
        self.block_ms = settings.bridge_block_ms
        self.consumer = settings.bridge_consumer
        self.claim_idle_ms = settings.bridge_claim_idle_ms
        self.max_deliveries = settings.max_deliveries
        self.dead_letters_kept = settings.dead_letters_per_tenant
        self.fair_share = fair_share or fairness.FairShare(settings.tenant_fair_share_per_second)
        self.redeliver_after_ms = int(settings.stream_redeliver_after_seconds * 1000)
        self.stopping = stopping or threading.Event()
        self._next_claim = 0.0
        self._next_recovery = 0.0

    def ensure_group(self) -> None:
        try:
            # From id 0: entries accepted before the first bridge ever ran are not skipped.
            self.redis.xgroup_create(self.stream, keys.BRIDGE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _read(self, start: str) -> list[Entry]:
        reply = cast(list[tuple[str, list[tuple[str, dict[str, str] | None]]]],
                     self.redis.xreadgroup(
                         keys.BRIDGE_GROUP, self.consumer, {self.stream: start},
                         count=self.batch_size, block=None if start != ">" else self.block_ms))
        return [(eid, fields) for eid, fields in reply[0][1] if fields] if reply else []

    def pending(self) -> Iterator[list[Entry]]:
        """This consumer's entries read before a crash but never acknowledged."""
        cursor = "0"
        while entries := self._read(cursor):
            yield entries
            cursor = entries[-1][0]

    def claim(self) -> list[Entry]:
        """Entries left too long with another (dead) consumer become ours."""
        if time.monotonic() < self._next_claim:
            return []
        self._next_claim = time.monotonic() + self.claim_idle_ms / 2000
        reply = self.redis.xautoclaim(
            self.stream, keys.BRIDGE_GROUP, self.consumer, self.claim_idle_ms,
            start_id="0-0", count=self.batch_size,
        )
        claimed = reply[1]  # Redis 7 adds a third element (deleted ids); 6.2 does not
        return [(eid, fields) for eid, fields in claimed if fields]

    def _drop_poison(self, entries: list[Entry]) -> list[Entry]:
        """Dead-letter replayed entries delivered more often than allowed; return the rest."""
        details = cast(list[dict[str, Any]], self.redis.xpending_range(
            self.stream, keys.BRIDGE_GROUP, min=entries[0][0], max=entries[-1][0],
            count=len(entries) * 2,
        ))
        counts: dict[str, int] = {d["message_id"]: int(d["times_delivered"]) for d in details}
        healthy = []
        for eid, fields in entries:
            if counts.get(eid, 0) > self.max_deliveries:
                self._dead_letter(eid, fields, f"read {counts[eid]} times, never published")
            else:
                healthy.append((eid, fields))
        return healthy

    def _dead_letter(self, eid: str, fields: dict[str, str], reason: str) -> None:
        raw = fields.get("n", "")
        try:
            payload: dict[str, Any] | str = json.loads(raw)
        except ValueError:
            payload = raw
        dead_letters.add(self.redis, f"stream entry {eid}: {reason}", payload,
                         self.dead_letters_kept)
        self.redis.xack(self.stream, keys.BRIDGE_GROUP, eid)

    def forward(self, entries: list[Entry], replayed: bool = False) -> None:
        if replayed:
            entries = self._drop_poison(entries)
        decoded: list[QueuedEntry] = []
        for eid, fields in entries:
            try:
                entry = StreamEntry.decode(fields["n"])
                if entry.priority not in queues.BY_PRIORITY:
                    raise ValueError(f"unknown priority {entry.priority!r}")
            except (KeyError, ValueError, TypeError) as exc:
                self._dead_letter(eid, fields, f"unreadable entry: {exc!r}")
                continue
            decoded.append(QueuedEntry(eid, entry, self.partition, fields["n"]))
        if not decoded:
            return
        by_queue = self._route(decoded)
        stream_ids = [q.stream_id for batch in by_queue.values() for q in batch]
        # Marked in flight before the ack, so the trimmer never cuts an unpersisted entry.
        now_ms = int(time.time() * 1000)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.inflight, {eid: entry_ms(eid) for eid in stream_ids})
            pipe.zadd(self.published, dict.fromkeys(stream_ids, now_ms))
            pipe.execute()
        for queue, batch in by_queue.items():
            for start in range(0, len(batch), self.batch_size):
                chunk = [q.to_dict() for q in batch[start:start + self.batch_size]]
                self.celery.send_task(queues.DELIVER_BATCH, args=[chunk], queue=queue)
            journey(logger, f"queued on {queue}",
                    ((q.entry.tenant_id, q.entry.id) for q in batch))
        # Only now: a crash before this line means the entries are published again on restart.
        self.redis.xack(self.stream, keys.BRIDGE_GROUP, *stream_ids)

    def _route(self, batch: list[QueuedEntry]) -> dict[str, list[QueuedEntry]]:
        """By priority (``fairness``): a tenant's entries past its fair share go one queue
        down, and a demoted tenant's (templates out of time) to the low queue."""
        demoted = fairness.demoted(self.redis, (q.entry.tenant_id for q in batch))
        by_queue: dict[str, list[QueuedEntry]] = defaultdict(list)
        for queued in batch:
            tenant_id, queue = queued.entry.tenant_id, queues.BY_PRIORITY[queued.entry.priority]
            if tenant_id in demoted:
                queue = queues.LOW
            elif self.fair_share.over(tenant_id):
                queue = queues.STEP_DOWN[queue]
            by_queue[queue].append(queued)
        return by_queue

    def recover_lost(self) -> list[Entry]:
        """In-flight entries whose Celery message was lost: read them again from the stream."""
        if time.monotonic() < self._next_recovery:
            return []
        self._next_recovery = time.monotonic() + min(self.redeliver_after_ms / 4000, 30)
        cutoff = int(time.time() * 1000) - self.redeliver_after_ms
        stale = cast(list[str], self.redis.zrangebyscore(
            self.published, "-inf", cutoff, start=0, num=self.batch_size))
        if not stale:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for sid in stale:
                pipe.xrange(self.stream, sid, sid)
            for queue in queues.ALL:
                pipe.llen(queue)
            pipe.hvals(keys.CELERY_UNACKED)
            *found, held = pipe.execute()
        entries = {rows[0][0]: rows[0][1] for rows in found[:len(stale)] if rows}
        waiting = {q for q, n in zip(queues.ALL, found[len(stale):], strict=True) if n}
        if queues.LOW in waiting:  # a demoted tenant's entries wait there, whatever priority
            waiting |= set(queues.BY_PRIORITY.values())
        gone = [sid for sid in stale if sid not in entries]
        if gone:  # persisted and released meanwhile, or trimmed: nothing left to do
            self.redis.zrem(self.published, *gone)
        lost = lost_entries(stale, held_messages_text(held), {
            sid: queues.BY_PRIORITY.get(_priority(fields), "") for sid, fields in entries.items()
        }, waiting)
        return [(sid, entries[sid]) for sid in lost]

    def step(self, replay: bool) -> None:
        if replay:
            for entries in self.pending():
                logger.info("replaying %d pending entries", len(entries))
                self.forward(entries, replayed=True)
        if claimed := self.claim():
            logger.info("claimed %d entries from dead consumers", len(claimed))
            self.forward(claimed, replayed=True)
        if lost := self.recover_lost():
            logger.warning("publishing %d in-flight entries again: their Celery messages "
                           "were lost", len(lost))
            self.forward(lost)
        if entries := self._read(">"):
            self.forward(entries)

    def run(self) -> None:
        replay = True  # on start and after any failure, our own pending entries come first
        while not self.stopping.is_set():
            try:
                if replay:
                    self.ensure_group()
                    logger.info("bridge %s reading %s", self.consumer, self.stream)
                self.step(replay)
                replay = False
            except (redis.RedisError, kombu.exceptions.OperationalError):
                logger.exception("bridge step failed; retrying in 1 s")
                replay = True
                self.stopping.wait(1)


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
    """One consumer (a thread) per partition of the ingest stream, sharing the tenants' fair
    shares; exits non-zero if one of them died, so its supervisor starts the bridge again."""
    redis_url, _ = settings.require_urls()
    collector.settle(settings)
    stopping = threading.Event()
    fair_share = fairness.FairShare(settings.tenant_fair_share_per_second)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    threads: list[threading.Thread] = []
    while not stopping.is_set():
        for partition in range(len(threads), _partitions(client, settings)):
            bridge = Bridge(client, celery_producer(redis_url), settings, partition, fair_share,
                            stopping)
            threads.append(threading.Thread(target=bridge.run, name=f"bridge-{partition}"))
            threads[-1].start()
        if not all(t.is_alive() for t in threads):
            stopping.set()
            raise SystemExit("a bridge consumer died; stopping the others")
        stopping.wait(PARTITIONS_CHECK_SECONDS)
    for thread in threads:
        thread.join()


def _partitions(client: redis.Redis, settings: Settings) -> int:
    try:
        return stream.partitions_in_use(client, settings.ingest_partitions)
    except redis.RedisError:  # Redis away: the consumers retry on their own meanwhile
        return settings.ingest_partitions
