"""The sockets open on this gateway node, by reader."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Protocol

from gateway.node_messages import ReaderKey


class Socket(Protocol):
    """What the hub needs of a connection: whose it is, and a way to hand it a frame."""

    @property
    def reader_key(self) -> ReaderKey: ...

    def offer(self, item: Any) -> bool: ...


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[ReaderKey, set[Socket]] = defaultdict(set)

    def add(self, conn: Socket) -> bool:
        """Register a socket; True when it is the reader's first on this node."""
        sockets = self._sockets[conn.reader_key]
        sockets.add(conn)
        return len(sockets) == 1

    def remove(self, conn: Socket) -> bool:
        """Forget a socket; True when the reader has no socket left on this node."""
        sockets = self._sockets.get(conn.reader_key)
        if sockets is None:
            return False
        sockets.discard(conn)
        if sockets:
            return False
        del self._sockets[conn.reader_key]
        return True

    def send(self, key: ReaderKey, frame: Mapping[str, Any]) -> bool:
        """Offer a frame to every local socket of a reader; True when at least one took it."""
        sockets = self._sockets.get(key)
        if not sockets:
            return False
        if len(sockets) == 1:  # the common case, without a copy of the set
            return next(iter(sockets)).offer(frame)
        taken = [conn.offer(frame) for conn in list(sockets)]  # offer may close one
        return any(taken)

    def readers(self) -> list[ReaderKey]:
        return list(self._sockets)

    def count_for(self, key: ReaderKey) -> int:
        return len(self._sockets.get(key, ()))

    def count(self) -> int:
        return sum(len(s) for s in self._sockets.values())

