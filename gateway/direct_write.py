"""A frame written at once on the server's own WebSocket connection, from the push that
brought it, when the socket has nothing else queued: no send queue, no wake-up of the
socket's sender task, no ASGI message. A node fanning one push out to thousands of sockets
spent most of each frame on those (py-spy, ``bench.sockets``).

Inside ``together()`` (a push being fanned out) a socket's frames are gathered and written
at the end in one call, one system call for several frames instead of one each; the client
reads them in one go as well. Nothing can run between the gathering and the write (the block
never awaits), so no other write to the socket comes between them.

This reaches into uvicorn's sans-I/O WebSocket protocol (``ws="websockets-sansio"``, its
default): the ASGI ``send`` it hands the app is a method of that protocol. With any other
server or protocol ``for_socket`` answers None and every frame takes the queued path, as
before; so does a frame while the socket's write buffer is over its high-water mark (the
queued path waits for it to drain).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import InvalidState
from websockets.protocol import State

from backend.core import fast_json

_SHORT, _LONG = struct.Struct("!BBH"), struct.Struct("!BBQ")
TEXT_FIN = 0x81  # FIN and opcode 1: a whole text message in one frame


def text_frame_header(length: int) -> bytes:
    """RFC 6455 5.2 for a server's unfragmented text frame (unmasked) of ``length`` bytes."""
    if length < 126:
        return bytes((TEXT_FIN, length))
    if length < 1 << 16:
        return _SHORT.pack(TEXT_FIN, 126, length)
    return _LONG.pack(TEXT_FIN, 127, length)


# Gathered bytes past this are written at once: the high-water mark is checked per frame,
# and a push of thousands of frames for one socket must still meet it.
GATHER_BYTES = 64 * 1024

_gathering: list[DirectWriter] | None = None


@contextmanager
def together() -> Iterator[None]:
    """Frames written inside go out at the end, one write per socket (nested: the outermost
    block writes)."""
    global _gathering
    if _gathering is not None:
        yield
        return
    gathered: list[DirectWriter] = []
    _gathering = gathered
    try:
        yield
    finally:
        _gathering = None
        for writer in gathered:
            writer.flush()


class DirectWriter:
    __slots__ = ("_protocol", "_pending", "_size")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._pending: list[bytes] | None = None  # None, not [], when idle: per-socket memory
        self._size = 0

    @classmethod
    def for_socket(cls, send: Any) -> DirectWriter | None:
        protocol = getattr(send, "__self__", None)
        if all(hasattr(protocol, name) for name in ("conn", "transport", "writable",
                                                    "close_sent", "disconnected")):
            return cls(protocol)
        return None

    def write(self, frame: Mapping[str, Any]) -> bool:
        """Written now or at the end of ``together()`` (True), or left to the queued path
        (False: the socket is closing or its buffer is full)."""
        protocol = self._protocol
        if (protocol.close_sent or protocol.disconnected or not protocol.writable.is_set()
                or protocol.transport.is_closing()):
            return False
        data = self._framed(fast_json.dumps(frame))  # the text ``send_json`` would send
        if data is None:
            return False
        if _gathering is None:
            protocol.transport.write(b"".join(data))
            return True
        if self._pending is None:
            _gathering.append(self)
            self._pending = data
        else:
            self._pending += data
        self._size += sum(map(len, data))
        if self._size > GATHER_BYTES:
            self.flush()
        return True

    def _framed(self, text: bytes) -> list[bytes] | None:
        """``text`` as a WebSocket frame's bytes; None when the socket is no longer open.
        The two to ten bytes of header are written here (websockets builds a ``Frame`` and
        serializes it, per frame) unless an extension (permessage-deflate) is in use: then
        websockets frames it."""
        conn = self._protocol.conn
        if conn.extensions or conn.debug:
            try:
                conn.send_text(text)
            except InvalidState:
                return None
            return conn.data_to_send()
        if conn.state is not State.OPEN or conn.expect_continuation_frame:
            return None
        return [text_frame_header(len(text)), text]

    def flush(self) -> None:
        if self._pending is not None:
            data, self._pending, self._size = self._pending, None, 0
            if not self._protocol.transport.is_closing():
                self._protocol.transport.write(b"".join(data))
