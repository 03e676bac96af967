"""``/ws``: authenticate, welcome, replay from ``since``, then live frames and client frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from backend.notifications import frames
from backend.notifications.frames import FrameError, WelcomeFrame
from gateway import client_frames
from gateway.auth import AuthError, Reader, TenantKey
from gateway.close_codes import Close
from gateway.connection import Connection
from gateway.node import Node, node_of
from gateway.rate_limit import RateLimit
from gateway.recovery import recoverable

logger = logging.getLogger(__name__)
router = APIRouter()
PATH = "/ws"


# How a socket's loops end when the client has gone (Starlette raises RuntimeError when one
# sends on a socket already closed).
CLOSED = (WebSocketDisconnect, ConnectionError, RuntimeError)


class BinaryFrame(Exception):
    """The client sent a binary frame."""


async def receive_text(websocket: WebSocket) -> str:
    """The next text frame (Starlette's ``receive_text`` raises KeyError on a binary one)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    if message.get("text") is None:
        raise BinaryFrame
    return str(message["text"])


async def _refuse_binary(websocket: WebSocket) -> None:
    await websocket.close(Close.UNSUPPORTED_DATA, "binary frames are not supported")


async def _receive(websocket: WebSocket, timeout: float) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(timeout):
            frame = json.loads(await receive_text(websocket))
    except TimeoutError:
        return None
    except RecursionError as exc:
        raise ValueError("frames may not be nested this deep") from exc
    if not isinstance(frame, dict):
        raise ValueError("frames must be JSON objects")
    return frame


async def _handshake(node: Node, websocket: WebSocket
                     ) -> tuple[TenantKey, Reader, dict[str, Any] | None]:
    """Authenticate from the query/headers or the first frame; returns the hello, if sent."""
    timeout = node.settings.ws_handshake_timeout_seconds
    params, headers = websocket.query_params, websocket.headers
    api_key = params.get("api_key") or headers.get("x-api-key")
    token: object = params.get("token")
    if token is None:
        first = await _receive(websocket, timeout)
        if not first or first.get("type") != "auth":
            raise AuthError(f"expected an auth frame within {timeout:g} s")
        token = first.get("token")
    tenant = await node.auth.tenant(api_key)
    reader = node.auth.claims(tenant, token)
    hello = await _receive(websocket, timeout)
    return tenant, reader, hello


async def _receive_loop(conn: Connection) -> None:
    limit = RateLimit(conn.node.settings.ws_client_frames_per_second)
    while True:
        try:
            raw = await receive_text(conn.websocket)
        except BinaryFrame:
            await _refuse_binary(conn.websocket)
            return
        if not limit.allow():
            await conn.websocket.close(Close.RATE_LIMITED, "too many frames")
            return
        try:
            frame = json.loads(raw)
        except RecursionError:  # nested past the parser's depth: nothing to act on
            conn.offer(frames.bad_frame("frames may not be nested this deep"))
            continue
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await conn.websocket.close(Close.BAD_FRAME, "frames must be JSON objects")
            return
        try:
            await client_frames.handle(conn, frame)
        except FrameError as exc:
            conn.offer(frames.error(exc.frame_code, str(exc)))


def _offset_or_none(conn: Connection, hello: dict[str, Any] | None, name: str) -> int | None:
    """A hello's ``since`` or ``change``; one out of range is an error frame and counts as
    not given (the client reloads over REST), never a replay statement that fails."""
    if hello is None or hello.get(name) is None:
        return None
    try:
        return frames.offset(hello, "hello", name)
    except FrameError as exc:
        conn.offer(frames.bad_frame(str(exc)))
        return None


async def _welcome(conn: Connection, hello: dict[str, Any] | None) -> None:
    """Welcome, then replay what the client missed if its history is still whole."""
    greeting = hello if hello and hello.get("type") == "hello" else None
    since = _offset_or_none(conn, greeting, "since")
    epoch = greeting.get("epoch") if greeting else None
    state = await conn.node.readers.get((conn.reader.tenant_id, conn.reader.external_id))
    recovered = recoverable(state, since if isinstance(since, int) else None, epoch)
    conn.welcome(state.row_id, since if recovered and isinstance(since, int) else state.last_seq)
    welcome: WelcomeFrame = {
        "type": "welcome", "user": conn.reader.external_id, "unread": state.counts.unread,
        "unseen": state.counts.unseen, "seq": state.last_seq, "epoch": state.epoch,
        "change": state.last_change, "recovered": recovered,
    }
    await conn.websocket.send_json(welcome)
    if recovered and isinstance(since, int):
        # Up to the seq just read: later ones are queued already (registered first).
        await conn.replay(since, state.last_seq)
        change = _offset_or_none(conn, greeting, "change")
        if change is not None:
            await conn.replay_changes(change, since)
    if hello and greeting is None:
        await client_frames.handle(conn, hello)


async def _serve(conn: Connection) -> None:
    """Receive in the socket's own task and send in one more; they stop together. The
    sender ending, a slow client or an expired token (timers, ``Connection.watch``) stop the
    receiving through a timeout made due at once: its cancellation is told apart from any
    other (a shutdown's), as ``asyncio.timeout`` does."""
    sending = asyncio.create_task(conn.send_loop())
    receiving: asyncio.Timeout | None = None

    def stop(*_: object) -> None:
        if receiving is not None and receiving.when() is None:
            receiving.reschedule(0)

    sending.add_done_callback(stop)
    conn.watch(stop)
    try:
        async with asyncio.timeout(None) as receiving:
            await _receive_loop(conn)
    except (TimeoutError, *CLOSED):
        pass
    finally:
        receiving = None
        conn.unwatch()
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, *CLOSED):
            await sending


@router.websocket(PATH)  # what the schema shows; served by ``direct_ws``
async def websocket_endpoint(websocket: WebSocket) -> None:
    node = node_of(websocket)
    address = websocket.client.host if websocket.client else ""
    await websocket.accept()
    if not node.pending.enter(address):
        await websocket.close(Close.TRY_AGAIN_LATER, "too many unauthenticated sockets from "
                              "this address")
        return
    try:
        tenant, reader, hello = await _handshake(node, websocket)
    except WebSocketDisconnect:
        return
    except BinaryFrame:
        await _refuse_binary(websocket)
        return
    except (AuthError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, AuthError) else "malformed auth frame"
        await websocket.close(Close.UNAUTHORIZED, reason[:120])
        return
    finally:
        node.pending.leave(address)
    if node.hub.count_for(reader.key) >= node.settings.ws_max_sockets_per_reader:
        await websocket.close(Close.TOO_MANY_SOCKETS, "too many sockets for this reader "
                              "(HERALD_WS_MAX_SOCKETS_PER_READER)")
        return
    await _serve_reader(Connection(websocket, node, tenant, reader), hello)


async def _serve_reader(conn: Connection, hello: dict[str, Any] | None) -> None:
    node, reader, websocket = conn.node, conn.reader, conn.websocket
    try:
        # Registered before the state is read: every push from now on is queued, none
        # missed; one that finds the queue full before the replay is over is read after it
        # (a reader back from away may have a burst of retries due).
        async with conn.catching_up():
            if node.hub.add(conn):
                await node.routing.joined(reader.key)
            await _welcome(conn, hello)
        await _serve(conn)
    except CLOSED:
        pass  # the client went away during welcome or replay
    except FrameError as exc:
        await websocket.close(Close.BAD_FRAME, str(exc)[:120])
    finally:
        if node.hub.remove(conn):
            await node.routing.left(reader.key)
