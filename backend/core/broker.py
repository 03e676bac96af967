"""Celery's broker through Redis Sentinel: kombu's own Sentinel transport, with the answers a
Redis gives in the seconds around a failover taken as a lost connection (reconnect, ask the
Sentinels again), not as a fault that stops the worker.

Right after a promotion the new primary refuses writes until a replica follows it again
(``NOREPLICAS``, from ``min-replicas-to-write``), and an old primary that came back as a
replica refuses them for good (``READONLY``); kombu's transport would end the worker on
either ("Unrecoverable error"). And when the connection is lost with messages in hand,
kombu closes the channel after its connection is gone and then asks that connection for
the Sentinels' addresses (an AttributeError that also ended the worker)."""

from __future__ import annotations

from typing import Any

from kombu.transport.redis import SentinelChannel, SentinelTransport
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError


class FailoverSentinelChannel(SentinelChannel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            # Closing after the connection was lost: the messages in hand come back to the
            # queue after the visibility timeout, as a killed worker's do.
            raise RedisConnectionError("the broker connection is gone")
        return super()._connparams(asynchronous)


class FailoverSentinelTransport(SentinelTransport):
    Channel = FailoverSentinelChannel
    connection_errors = (*SentinelTransport.connection_errors, ReadOnlyError, ResponseError)
