"""Redis clients for every part, from ``HERALD_REDIS_URL``: sync for the API, workers and
bridge, async for the gateway, and the same server as Celery's broker and the quota's store.

Two kinds of URL, and this is the one place that reads them:

- ``redis://[:PASSWORD@]HOST:PORT[/DB]`` (or ``rediss://``): one server.
- ``redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE_NAME[/DB]``: the Sentinels'
  addresses and the monitored service's name. Every client asks the Sentinels for the
  primary when it connects, and again after a connection fails (a failover), so no part
  keeps a primary's address. The password is the servers' and the Sentinels' alike.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelConnectionPool as AsyncSentinelPool
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"
# A primary that stops answering (a partition, not a refusal) is given up on after this
# long, so that a client asks the Sentinels again instead of waiting on a dead socket.
SOCKET_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 3.0
# A connection that waits on a blocking read no socket timeout covers (kombu's BRPOP in the
# worker's event loop only learns the socket is readable) would wait on a cut-off primary
# until the partition heals. The kernel finds the peer gone instead: probes after 2 s idle,
# and a connection with anything unanswered for 10 s is dropped; a live server answers both.
KEEPALIVE_OPTIONS = {getattr(socket, name): value for name, value in (
    ("TCP_KEEPIDLE", 2), ("TCP_KEEPINTVL", 1), ("TCP_KEEPCNT", 3),
    ("TCP_USER_TIMEOUT", int(SOCKET_TIMEOUT_SECONDS * 1000))) if hasattr(socket, name)}
KEEPALIVE: dict[str, Any] = {"socket_keepalive": True,
                             "socket_keepalive_options": KEEPALIVE_OPTIONS}
# kombu drops a BRPOP connection whose answer is this much overdue (its own check).
BROKER_HEALTH_CHECK_SECONDS = 5
ASYNC_CONNECTIONS = 64  # per gateway node; more commands at once wait for one


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    password: str | None
    db: int


def sentinel_target(url: str) -> SentinelTarget | None:
    """The parts of a ``redis+sentinel://`` URL; None for a plain ``redis://`` one."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return None
    userinfo, _, hosts = parts.netloc.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) if userinfo else None
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"HERALD_REDIS_URL: {host!r} is not HOST:PORT of a Sentinel")
        sentinels.append((name.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("HERALD_REDIS_URL: give the Sentinels' service name, and optionally "
                         "a database: redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")
    return SentinelTarget(tuple(sentinels), path[0], password or None,
                          int(path[1]) if len(path) == 2 else 0)


def _sentinel_kwargs(target: SentinelTarget) -> dict[str, Any]:
    """How every client talks to the Sentinels themselves: a Sentinel on a cut-off host
    (often the old primary's) must not hold a reconnect for the kernel's minutes of SYN
    retries, or for ever on a pooled connection that was open when the cut came."""
    auth = {"password": target.password} if target.password else {}
    return {**auth, "socket_timeout": CONNECT_TIMEOUT_SECONDS,
            "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS, **KEEPALIVE}


def _options(target: SentinelTarget) -> dict[str, Any]:
    auth = {"password": target.password} if target.password else {}
    return {"sentinel_kwargs": _sentinel_kwargs(target),
            "db": target.db, "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS, **KEEPALIVE, **auth}


def connect(url: str) -> redis.Redis:
    if (target := sentinel_target(url)) is None:
        return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30,
                                    **KEEPALIVE)
    sentinel = Sentinel(list(target.sentinels), **_options(target))
    return sentinel.master_for(target.service, decode_responses=True, health_check_interval=30)


class _BlockingSentinelPool(AsyncSentinelPool, aioredis.BlockingConnectionPool):
    """The Sentinels' primary, with callers waiting for a free connection."""


def connect_async(url: str) -> aioredis.Redis:
    """A pool that makes callers wait for a free connection (hundreds of sockets closing at
    once each remove their presence) instead of raising when all are in use."""
    if (target := sentinel_target(url)) is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, health_check_interval=30,
            max_connections=ASYNC_CONNECTIONS, timeout=30, **KEEPALIVE)
        return aioredis.Redis.from_pool(pool)
    sentinel = AsyncSentinel(list(target.sentinels), **_options(target))
    return sentinel.master_for(target.service, connection_pool_class=_BlockingSentinelPool,
                               decode_responses=True, health_check_interval=30,
                               max_connections=ASYNC_CONNECTIONS, timeout=30)


BROKER_TRANSPORT = "backend.core.broker:FailoverSentinelTransport"


def celery_transport(url: str) -> str | None:
    """The transport class Celery's broker uses for ``url`` (None: the URL's own)."""
    return BROKER_TRANSPORT if sentinel_target(url) is not None else None


def celery_broker(url: str) -> tuple[str, dict[str, Any]]:
    """Celery's broker URL and the transport options it needs: kombu's Sentinel transport
    (one URL per Sentinel, ``;``-separated) with ``master_name``, and for either kind a
    connection that finds a cut-off server gone within seconds."""
    found_gone: dict[str, Any] = {**KEEPALIVE,
                                  "health_check_interval": BROKER_HEALTH_CHECK_SECONDS}
    if (target := sentinel_target(url)) is None:
        return url, found_gone
    auth = f":{quote(target.password, safe='')}@" if target.password else ""
    broker = ";".join(f"sentinel://{auth}{host}:{port}/{target.db}"
                      for host, port in target.sentinels)
    return broker, {"master_name": target.service, **found_gone,
                    "socket_timeout": SOCKET_TIMEOUT_SECONDS,
                    "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
                    "sentinel_kwargs": _sentinel_kwargs(target)}


def limits_storage(url: str) -> Any:
    """The quota's store (``limits``) on the same server, through the Sentinels if any."""
    from limits.storage import RedisSentinelStorage, RedisStorage

    if (target := sentinel_target(url)) is None:
        return RedisStorage(url)
    hosts = ",".join(f"{host}:{port}" for host, port in target.sentinels)
    auth = f":{quote(target.password, safe='')}@" if target.password else ""
    return RedisSentinelStorage(f"{SENTINEL_SCHEME}://{auth}{hosts}/{target.service}",
                                sentinel_kwargs=_sentinel_kwargs(target), db=target.db,
                                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, **KEEPALIVE)
