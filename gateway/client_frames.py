"""What the gateway does with each frame a client sends after the welcome: a table from the
frame's class (``backend.notifications.frames``) to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.notifications import frames
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
    """Applied with the others (``acks``), as acks by seq are."""
    conn.node.acks.note_ids(conn.reader.row_id, frame.ids)


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


class OverBudget(FrameError):
    """The frame would take more database work than its socket or tenant has left."""

    frame_code = "over_budget"


def _afford(conn: Connection, frame: ClientFrame) -> None:
    if not (cost := frames.ids_of(frame)):
        return
    if conn.budget is None:
        conn.budget = conn.node.budget.socket()
    if not conn.node.budget.allow(conn.budget, conn.tenant.tenant_id, cost):
        settings = conn.node.settings
        raise OverBudget(
            f"over budget: {settings.ws_ids_per_second:g} ids a second per socket and "
            f"{settings.ws_tenant_ids_per_second:g} per tenant; this frame was not applied, "
            "send it again later")


async def handle(conn: Connection, raw: dict[str, Any]) -> None:
    frame: ClientFrame = frames.decode(raw)
    _afford(conn, frame)
    await HANDLERS[type(frame)](conn, frame)
