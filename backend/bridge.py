"""The stream bridge: moves accepted notifications from the ingest stream to Celery.

Entries are read through a consumer group and acknowledged only after their batch was
published, so a bridge killed in between re-reads them from its pending list on start;
the worker is idempotent on notification ids, so the replay shows nothing twice.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import kombu.exceptions
import redis
from celery import Celery

from backend import keys
from backend.config import Settings
from tasks import queues

logger = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]


class Bridge:
    def __init__(self, client: redis.Redis, celery: Celery, settings: Settings) -> None:
        self.redis = client
        self.celery = celery
        self.batch_size = settings.batch_size
        self.block_ms = settings.bridge_block_ms
        self.consumer = settings.bridge_consumer
        self.stopping = threading.Event()

    def ensure_group(self) -> None:
        try:
            # From id 0: entries accepted before the first bridge ever ran are not skipped.
            self.redis.xgroup_create(keys.INGEST_STREAM, keys.BRIDGE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _read(self, start: str) -> list[Entry]:
        reply = self.redis.xreadgroup(
            keys.BRIDGE_GROUP, self.consumer, {keys.INGEST_STREAM: start},
            count=self.batch_size, block=None if start != ">" else self.block_ms,
        )
        return reply[0][1] if reply else []

    def pending(self) -> Iterator[list[Entry]]:
        """This consumer's entries read before a crash but never acknowledged."""
        cursor = "0"
        while entries := self._read(cursor):
            yield entries
            cursor = entries[-1][0]

    def forward(self, entries: list[Entry]) -> None:
        by_queue: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _, fields in entries:
            payload = json.loads(fields["n"])
            by_queue[queues.BY_PRIORITY[payload["priority"]]].append(payload)
        for queue, payloads in by_queue.items():
            for start in range(0, len(payloads), self.batch_size):
                chunk = payloads[start:start + self.batch_size]
                self.celery.send_task(queues.DELIVER_BATCH, args=[chunk], queue=queue)
        # Only now: a crash before this line means the entries are published again on restart.
        self.redis.xack(keys.INGEST_STREAM, keys.BRIDGE_GROUP, *[eid for eid, _ in entries])

    def run(self) -> None:
        self.ensure_group()
        logger.info("bridge %s reading %s", self.consumer, keys.INGEST_STREAM)
        replay = True  # on start and after any failure, our own pending entries come first
        while not self.stopping.is_set():
            try:
                if replay:
                    for entries in self.pending():
                        logger.info("replaying %d pending entries", len(entries))
                        self.forward(entries)
                    replay = False
                entries = self._read(">")
                if entries:
                    self.forward(entries)
            except (redis.RedisError, kombu.exceptions.OperationalError):
                logger.exception("bridge step failed; retrying in 1 s")
                replay = True
                self.stopping.wait(1)


def run_bridge(settings: Settings) -> None:
    from backend.redis_client import get_redis
    from tasks.app import app as celery_app

    bridge = Bridge(get_redis(), celery_app, settings)
    signal.signal(signal.SIGTERM, lambda *_: bridge.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: bridge.stopping.set())
    bridge.run()
