"""``/ws``: authenticate, welcome, replay from ``since``, then live frames and client frames."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from backend.config import get_settings
from gateway import client_frames
from gateway.auth import AuthError, Reader, TenantKey, authenticate
from gateway.blocking import in_session
from gateway.connection import Connection
from gateway.hub import hub
from gateway.recovery import load_state, recoverable
from gateway.routing import routing

logger = logging.getLogger(__name__)
router = APIRouter()

CLOSE_BAD_FRAME = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_RATE_LIMITED = 4429


async def _receive(websocket: WebSocket, timeout: float) -> dict[str, Any] | None:
    with anyio.move_on_after(timeout):
        frame = json.loads(await websocket.receive_text())
        if not isinstance(frame, dict):
            raise ValueError("frames must be JSON objects")
        return frame
    return None


async def _handshake(websocket: WebSocket) -> tuple[TenantKey, Reader, dict[str, Any] | None]:
    """Authenticate from the query/headers or the first frame; returns the hello, if sent."""
    timeout = get_settings().ws_handshake_timeout_seconds
    params, headers = websocket.query_params, websocket.headers
    api_key = params.get("api_key") or headers.get("x-api-key")
    token = params.get("token")
    if token is None:
        first = await _receive(websocket, timeout)
        if not first or first.get("type") != "auth":
            raise AuthError(f"expected an auth frame within {timeout:g} s")
        token = first.get("token")
    tenant, reader = await authenticate(api_key, token)
    hello = await _receive(websocket, timeout)
    return tenant, reader, hello


class _RateLimit:
    """A token bucket: ``rate`` frames a second, bursts of twice that."""

    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate, rate * 2
        self.tokens, self.at = self.capacity, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def _receive_loop(conn: Connection) -> None:
    limit = _RateLimit(get_settings().ws_client_frames_per_second)
    while True:
        raw = await conn.websocket.receive_text()
        if not limit.allow():
            await conn.websocket.close(CLOSE_RATE_LIMITED, "too many frames")
            return
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await conn.websocket.close(CLOSE_BAD_FRAME, "frames must be JSON objects")
            return
        try:
            await client_frames.handle(conn, frame)
        except client_frames.FrameError as exc:
            conn.offer({"type": "error", "code": "bad_frame", "message": str(exc)})


async def _welcome(conn: Connection, hello: dict[str, Any] | None) -> None:
    """Welcome, then replay what the client missed if its history is still whole."""
    is_hello = bool(hello) and hello.get("type") == "hello"
    since = hello.get("since") if is_hello else None
    epoch = hello.get("epoch") if is_hello else None
    state = await in_session(load_state, conn.reader.row_id)
    recovered = recoverable(state, since if isinstance(since, int) else None, epoch)
    conn.next_seq = (since if recovered else state.last_seq) + 1
    await conn.websocket.send_json({
        "type": "welcome", "user": conn.reader.user_id, "unread": state.unread,
        "seq": state.last_seq, "epoch": state.epoch, "recovered": recovered,
    })
    if recovered:
        await conn.replay(since)
    if hello and not is_hello:
        await client_frames.handle(conn, hello)


async def _serve(conn: Connection) -> None:
    """Send, receive and the watchers run together and stop together."""
    grace = get_settings().ws_reauth_grace_seconds
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
        tg.start_soon(until_closed, partial(conn.watch_token, grace))


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        tenant, reader, hello = await _handshake(websocket)
    except WebSocketDisconnect:
        return
    except (AuthError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, AuthError) else "malformed auth frame"
        await websocket.close(CLOSE_UNAUTHORIZED, reason[:120])
        return
    conn = Connection(websocket, tenant, reader, get_settings().ws_send_queue_size)
    # Registered before the state is read: every push from now on is queued, none missed.
    if hub.add(conn):
        await routing.joined(reader.key)
    try:
        await _welcome(conn, hello)
        await _serve(conn)
    except (WebSocketDisconnect, ConnectionError, RuntimeError):
        pass  # the client went away during welcome or replay
    except client_frames.FrameError as exc:
        await websocket.close(CLOSE_BAD_FRAME, str(exc)[:120])
    finally:
        if hub.remove(conn):
            await routing.left(reader.key)
