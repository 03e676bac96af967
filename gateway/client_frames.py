"""What the gateway does with each frame a client sends after the welcome: a table from the
frame's class (``backend.notifications.frames``) to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.notifications import frames, lifecycle
from backend.notifications.frames import (
    AckIds,
    AckSeq,
    Auth,
    ClientFrame,
    FrameError,
    Hello,
    Ping,
    StateChange,
)
from gateway.auth import AuthError
from gateway.connection import Connection, Resync
from gateway.states import change


async def _reauth(conn: Connection, frame: Auth) -> None:
    """A fresh token before the old one expires keeps the connection open."""
    try:
        reader = conn.node.auth.claims(conn.tenant, frame.token)
    except AuthError as exc:
        raise FrameError(exc.reason) from exc
    if reader.external_id != conn.reader.external_id:
        raise FrameError("token is for another user")
    conn.renew(reader.expires_at)


async def _ack_seq(conn: Connection, frame: AckSeq) -> None:
    """Everything up to ``seq`` at once, applied with the others (``acks``), from what this
    socket acknowledged before."""
    conn.node.acks.note(conn.reader.row_id, *conn.sequence.ack(frame.seq))


async def _ack_ids(conn: Connection, frame: AckIds) -> None:
    await conn.node.blocking.in_session(lifecycle.mark_delivered, list(frame.ids),
                                        conn.reader.row_id)


async def _ping(conn: Connection, _: Ping) -> None:
    conn.offer(frames.PONG)


async def _hello(conn: Connection, frame: Hello) -> None:
    if frame.since is None:
        raise FrameError(f"hello: since must be an integer from 0 to {frames.MAX_OFFSET}")
    conn.offer(Resync(frame.since))  # replayed in order by the sender


async def _state(conn: Connection, frame: StateChange) -> None:
    await change(conn.node, conn.reader, frame.kind,
                 list(frame.ids) if frame.ids is not None else None, frame.until)


HANDLERS: dict[type[Any], Callable[[Connection, Any], Awaitable[None]]] = {
    Ping: _ping, Auth: _reauth, Hello: _hello, AckSeq: _ack_seq, AckIds: _ack_ids,
    StateChange: _state,
}


async def handle(conn: Connection, raw: dict[str, Any]) -> None:
    frame: ClientFrame = frames.decode(raw)
    await HANDLERS[type(frame)](conn, frame)
