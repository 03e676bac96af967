"""The sockets open on this gateway node, by reader."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gateway.connection import Connection

ReaderKey = tuple[str, str]  # (tenant id, the product's user id)


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[ReaderKey, set[Connection]] = defaultdict(set)

    def add(self, conn: Connection) -> None:
        self._sockets[conn.reader.key].add(conn)

    def remove(self, conn: Connection) -> None:
        sockets = self._sockets.get(conn.reader.key)
        if sockets is not None:
            sockets.discard(conn)
            if not sockets:
                del self._sockets[conn.reader.key]

    def send(self, key: ReaderKey, frame: dict[str, Any]) -> bool:
        """Offer a frame to every socket of a reader; True when at least one took it."""
        taken = [conn.offer(frame) for conn in list(self._sockets.get(key, ()))]
        return any(taken)

    def count(self) -> int:
        return sum(len(s) for s in self._sockets.values())


hub = Hub()
