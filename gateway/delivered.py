"""Frames written to sockets, counted once per event-loop turn (``herald_delivered_total``,
``herald_delivery_seconds``): counting each frame as it went, a counter's and a histogram's
locks per frame, was a fifth of a gateway fanning out (py-spy, ``bench.sockets``)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from backend.core.metrics import DELIVERED, DELIVERY_SECONDS, observe_many

# (replayed, priority) -> the created_at of each frame written this turn
_waiting: dict[tuple[bool, str], list[str]] = {}


def count(replayed: bool, priority: str, created_at: str) -> None:
    """A frame of a notification made at ``created_at`` (ISO 8601) reached its socket."""
    if not _waiting:
        asyncio.get_running_loop().call_soon(flush)
    key = (replayed, priority)
    if (same := _waiting.get(key)) is None:
        same = _waiting[key] = []
    same.append(created_at)


def flush() -> None:
    now = time.time()
    waiting = dict(_waiting)
    _waiting.clear()
    for (replayed, priority), made in waiting.items():
        labels = {"path": "replay" if replayed else "live", "priority": priority}
        DELIVERED.labels(**labels).inc(len(made))
        observe_many(DELIVERY_SECONDS.labels(**labels),
                     [max(0.0, now - datetime.fromisoformat(at).timestamp()) for at in made])
