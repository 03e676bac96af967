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

# Renew our lock; take it again if it expired with nobody else holding it (Redis stalled
# longer than the lock lives). 1: held (renewed), 2: taken again, 0: another beat holds it.
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""


def acquire(client: redis.Redis, ttl_seconds: float) -> str:
    """Block until this process holds the beat lock; keep renewing it in the background.

    Only losing the lock to another beat stops this process; a lock that merely expired
    (Redis stalled or restarted) is taken again, and failed renewals are retried.
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
            except redis.RedisError as exc:
                logger.warning("could not renew the beat lock (%s); trying again", exc)
                continue
            if held == 2:
                logger.warning("beat lock expired while Redis was away; beat lock taken again")
            elif not held:
                logger.error("another beat took the beat lock; stopping so that only one runs")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=keep, name="beat-lock", daemon=True).start()
    return owner
