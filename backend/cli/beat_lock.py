"""One celery beat at a time: a second beat waits for the lock instead of doubling every
periodic task, and takes over when the first one dies (the lock expires)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid

import redis

from backend.core import redis_keys as keys

logger = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def acquire(client: redis.Redis, ttl_seconds: float) -> str:
    """Block until this process holds the beat lock; keep renewing it in the background.

    Losing the lock (say, Redis was flushed and another beat took it) stops this process.
    """
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    ttl_ms = int(ttl_seconds * 1000)
    waiting_logged = False
    while not client.set(keys.BEAT_LOCK, owner, nx=True, px=ttl_ms):
        if not waiting_logged:
            logger.warning("another beat holds the lock (%s); waiting", client.get(keys.BEAT_LOCK))
            waiting_logged = True
        threading.Event().wait(ttl_seconds / 3)
    logger.info("beat lock acquired by %s", owner)
    renew = client.register_script(_RENEW)

    def keep() -> None:
        while not threading.Event().wait(ttl_seconds / 3):
            try:
                held = renew(keys=[keys.BEAT_LOCK], args=[owner, ttl_ms])
            except redis.RedisError:
                logger.exception("could not renew the beat lock")
                continue
            if not held:
                logger.error("beat lock lost; stopping so that only one beat runs")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=keep, name="beat-lock", daemon=True).start()
    return owner
