"""Celery's broker through Redis Sentinel: kombu's own Sentinel transport, with the answers a
Redis gives in the seconds around a failover taken as a lost connection (reconnect, ask the
Sentinels again), not as a fault that stops the worker.

Right after a promotion the new primary refuses writes until a replica follows it again
(``NOREPLICAS``, from ``min-replicas-to-write``), and an old primary that came back as a
replica refuses them for good (``READONLY``); kombu's transport would end the worker on
either ("Unrecoverable error")."""

from __future__ import annotations

from kombu.transport.redis import SentinelTransport
from redis.exceptions import ReadOnlyError, ResponseError


class FailoverSentinelTransport(SentinelTransport):
    connection_errors = (*SentinelTransport.connection_errors, ReadOnlyError, ResponseError)
