"""A frame written at once on the server's own WebSocket connection, from the push that
brought it, when the socket has nothing else queued: no send queue, no wake-up of the
socket's sender task, no ASGI message. A node fanning one push out to thousands of sockets
spent most of each frame on those (py-spy, ``bench.sockets``).

This reaches into uvicorn's sans-I/O WebSocket protocol (``ws="websockets-sansio"``, its
default): the ASGI ``send`` it hands the app is a method of that protocol. With any other
server or protocol ``for_socket`` answers None and every frame takes the queued path, as
before; so does a frame while the socket's write buffer is over its high-water mark (the
queued path waits for it to drain).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from websockets.exceptions import InvalidState

from backend.core import fast_json


class DirectWriter:
    __slots__ = ("_protocol",)

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    @classmethod
    def for_socket(cls, send: Any) -> DirectWriter | None:
        protocol = getattr(send, "__self__", None)
        if all(hasattr(protocol, name) for name in ("conn", "transport", "writable",
                                                    "close_sent", "disconnected")):
            return cls(protocol)
        return None

    def write(self, frame: Mapping[str, Any]) -> bool:
        """Written now (True), or left to the queued path (False: the socket is closing or
        its buffer is full)."""
        protocol = self._protocol
        if (protocol.close_sent or protocol.disconnected or not protocol.writable.is_set()
                or protocol.transport.is_closing()):
            return False
        try:  # the text Starlette's ``send_json`` would send
            protocol.conn.send_text(fast_json.dumps(frame))
        except InvalidState:
            return False
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        return True
