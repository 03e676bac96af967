"""``/ws``: authenticate, welcome, replay from ``since``, then live frames and client frames."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import store
from backend.config import get_settings
from backend.models import User
from gateway.auth import AuthError, Reader, authenticate
from gateway.blocking import in_session
from gateway.connection import Connection
from gateway.hub import hub
from gateway.reading import mark_read

logger = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_BAD_FRAME = 4400


@dataclass
class ReaderState:
    last_seq: int
    epoch: str
    unread: int
    oldest_seq: int | None


def _state(session: Session, user_id: int) -> ReaderState:
    user = session.scalars(select(User).where(User.id == user_id)).one()
    return ReaderState(user.last_seq, user.epoch, store.unread_count(session, user_id),
                       store.oldest_seq(session, user_id))


def _recoverable(state: ReaderState, since: int | None, epoch: str | None) -> bool:
    """Can the history after ``since`` be replayed in full?"""
    if since is None or since < 0 or since > state.last_seq:
        return False
    if epoch is not None and epoch != state.epoch:
        return False
    if since == state.last_seq:
        return True
    return state.oldest_seq is not None and state.oldest_seq <= since + 1


async def _receive(websocket: WebSocket, timeout: float) -> dict[str, Any] | None:
    with anyio.move_on_after(timeout):
        frame = json.loads(await websocket.receive_text())
        if not isinstance(frame, dict):
            raise ValueError("frames must be JSON objects")
        return frame
    return None


async def _handshake(websocket: WebSocket) -> tuple[Reader, dict[str, Any] | None]:
    """Authenticate from query/headers or the first frame; returns the reader and the hello."""
    timeout = get_settings().ws_handshake_timeout_seconds
    params, headers = websocket.query_params, websocket.headers
    api_key = params.get("api_key") or headers.get("x-api-key")
    token = params.get("token")
    if token is None:
        first = await _receive(websocket, timeout)
        if not first or first.get("type") != "auth":
            raise AuthError("expected an auth frame first")
        token = first.get("token")
    reader = await authenticate(api_key, token)
    hello = await _receive(websocket, timeout)
    return reader, hello


async def _handle(conn: Connection, frame: dict[str, Any]) -> None:
    reader = conn.reader
    kind = frame.get("type")
    if kind == "ping":
        conn.offer({"type": "pong"})
    elif kind == "ack":
        ids = _ids(frame)
        await in_session(store.mark_delivered, ids, reader.row_id)
    elif kind in ("read", "read_all"):
        await mark_read(reader, None if kind == "read_all" else _ids(frame))
    elif kind != "hello":
        conn.offer({"type": "error", "code": "unknown_frame",
                    "message": f"unknown frame type {kind!r}"})


def _ids(frame: dict[str, Any]) -> list[uuid.UUID]:
    raw = frame.get("ids")
    if not isinstance(raw, list) or len(raw) > 1000:
        raise ValueError("ids must be a list of at most 1000 notification ids")
    return [uuid.UUID(str(i)) for i in raw]


async def _receive_loop(conn: Connection) -> None:
    while True:
        try:
            frame = json.loads(await conn.websocket.receive_text())
        except json.JSONDecodeError:
            await conn.websocket.close(CLOSE_BAD_FRAME, "frames must be JSON objects")
            return
        if not isinstance(frame, dict):
            await conn.websocket.close(CLOSE_BAD_FRAME, "frames must be JSON objects")
            return
        try:
            await _handle(conn, frame)
        except (ValueError, TypeError, AttributeError) as exc:
            conn.offer({"type": "error", "code": "bad_frame", "message": str(exc)})


async def _serve(conn: Connection, hello: dict[str, Any] | None) -> None:
    first_frame = hello if hello and hello.get("type") != "hello" else None
    since = hello.get("since") if hello and hello.get("type") == "hello" else None
    epoch = hello.get("epoch") if hello else None
    state = await in_session(_state, conn.reader.row_id)
    recovered = _recoverable(state, since, epoch)
    conn.next_seq = (since if recovered else state.last_seq) + 1
    await conn.websocket.send_json({
        "type": "welcome", "user": conn.reader.user_id, "unread": state.unread,
        "seq": state.last_seq, "epoch": state.epoch, "recovered": recovered,
    })
    if recovered:
        await conn.replay(since)
    if first_frame is not None:
        await _handle(conn, first_frame)
    # Send and receive run together and stop together: one ending closes the other.
    async with anyio.create_task_group() as tg:

        async def until_closed(loop: Callable[[], Awaitable[None]]) -> None:
            try:
                await loop()
            except (WebSocketDisconnect, ConnectionError, RuntimeError):
                pass
            finally:
                tg.cancel_scope.cancel()

        tg.start_soon(until_closed, conn.send_loop)
        tg.start_soon(until_closed, partial(_receive_loop, conn))
        tg.start_soon(until_closed, conn.watch_overflow)


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        reader, hello = await _handshake(websocket)
    except (AuthError, ValueError, WebSocketDisconnect) as exc:
        reason = exc.reason if isinstance(exc, AuthError) else "malformed auth frame"
        if not isinstance(exc, WebSocketDisconnect):
            await websocket.close(CLOSE_UNAUTHORIZED, reason)
        return
    conn = Connection(websocket, reader, get_settings().ws_send_queue_size)
    hub.add(conn)  # before reading state: pushes from now on are queued, none missed
    try:
        await _serve(conn, hello)
    except (WebSocketDisconnect, ConnectionError, RuntimeError):
        pass  # the client went away during welcome or replay
    finally:
        hub.remove(conn)
