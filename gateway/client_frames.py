"""What the gateway does with each frame a client sends after the welcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from backend.core.errors import InvalidInput
from backend.notifications import lifecycle
from gateway.auth import AuthError
from gateway.connection import Connection, Resync
from gateway.states import change


class FrameError(InvalidInput):
    """A client frame was malformed; the client gets an ``error`` frame naming it."""


def _ids(frame: dict[str, Any]) -> list[uuid.UUID]:
    raw = frame.get("ids")
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise FrameError("ids must be a list of 1 to 1000 notification ids")
    try:
        return [uuid.UUID(str(i)) for i in raw]
    except ValueError as exc:
        raise FrameError(f"ids: {exc}") from exc


MAX_OFFSET = 2 ** 63 - 1  # seqs and change numbers are PostgreSQL bigints


def offset(frame: dict[str, Any], kind: str, name: str) -> int:
    """A seq or change number a client sent: an integer a bigint column can hold, or a
    FrameError naming it (an out-of-range one would fail the statement it shares with
    other readers)."""
    value = frame.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise FrameError(f"{kind}: {name} must be an integer from 0 to {MAX_OFFSET}")
    return value


MAX_SNOOZE = timedelta(days=366)
_AWARE = TypeAdapter(AwareDatetime)


def _until(frame: dict[str, Any]) -> datetime:
    try:
        until = _AWARE.validate_python(frame.get("until"))
    except ValidationError as exc:
        raise FrameError("snooze: until must be an ISO 8601 time with a UTC offset") from exc
    now = datetime.now(UTC)
    if not now < until <= now + MAX_SNOOZE:
        raise FrameError("snooze: until must be in the future, within 366 days")
    return until.astimezone(UTC)  # an offset PostgreSQL takes (+23:59 is beyond its range)


async def _reauth(conn: Connection, frame: dict[str, Any]) -> None:
    """A fresh token before the old one expires keeps the connection open."""
    try:
        reader = conn.node.auth.claims(conn.tenant, frame.get("token"))
    except AuthError as exc:
        raise FrameError(exc.reason) from exc
    if reader.external_id != conn.reader.external_id:
        raise FrameError("token is for another user")
    conn.renew(reader.expires_at)


async def _ack(conn: Connection, frame: dict[str, Any]) -> None:
    """``{"seq": N}`` acknowledges everything up to N at once; ``{"ids": [...]}`` those ids."""
    if "seq" not in frame:
        await conn.node.blocking.in_session(lifecycle.mark_delivered, _ids(frame),
                                            conn.reader.row_id)
        return
    seq = offset(frame, "ack", "seq")
    # Applied with the others (``acks``), from what this socket acknowledged before.
    conn.node.acks.note(conn.reader.row_id, conn.acked, seq, conn.oldest_unacked)
    conn.acked = max(conn.acked, seq)
    if conn.acked >= conn.next_seq - 1:
        conn.oldest_unacked = None  # every frame sent is acknowledged


async def handle(conn: Connection, frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    if kind == "ping":
        conn.offer({"type": "pong"})
    elif kind == "ack":
        await _ack(conn, frame)
    elif kind in ("read", "seen", "archive", "unarchive"):
        await change(conn.node, conn.reader, kind, _ids(frame))
    elif kind in ("read_all", "seen_all"):
        await change(conn.node, conn.reader, "read" if kind == "read_all" else "seen", None)
    elif kind == "snooze":
        await change(conn.node, conn.reader, "snooze", _ids(frame), _until(frame))
    elif kind == "hello":
        conn.offer(Resync(offset(frame, "hello", "since")))  # replayed in order by the sender
    elif kind == "auth":
        await _reauth(conn, frame)
    else:
        raise FrameError(f"unknown frame type {kind!r}")
