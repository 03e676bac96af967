"""Which in-flight entries lost their Celery message, and must be published again.

Celery's Redis transport takes a message from its queue (BRPOP) and only then records it as
held by the worker (the ``unacked`` hash); a Redis crash between the two loses the message,
while the stream entry stays in flight forever. An entry counts as lost when it was published
long ago, no worker holds a message naming it, and its queue is empty (so it cannot be
waiting in it). Publishing again is safe: the worker is idempotent on notification ids.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping


def lost_entries(stale: Iterable[str], held_messages: str, queue_of: Mapping[str, str],
                 waiting_queues: set[str]) -> list[str]:
    """Of the ``stale`` stream ids, those neither held by a worker (named in
    ``held_messages``, the messages workers hold, as text) nor possibly still queued."""
    return [sid for sid in stale
            if sid in queue_of and queue_of[sid] not in waiting_queues
            and f'"{sid}"' not in held_messages]


def held_messages_text(unacked: Iterable[str]) -> str:
    """The bodies of the messages workers hold, as text (Celery's Redis transport keeps each
    as JSON ``[message, exchange, routing key]`` with a base64 body)."""
    bodies = []
    for raw in unacked:
        try:
            message = json.loads(raw)[0]
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body).decode()
        except (ValueError, KeyError, IndexError, TypeError):
            body = raw  # not a shape we know: search it as it is
        bodies.append(body)
    return "\n".join(bodies)
