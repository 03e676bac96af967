"""The WebSocket protocol's frames, both ways, in one place (docs/PROTOCOL.md tells them;
``gateway/static/herald.d.ts`` types them for browsers, and a test holds the two together).

- **Client frames** are frozen dataclasses, each with ``decode``: a frame a client sent,
  checked field by field, or a ``FrameError`` naming what is wrong (the client gets it in an
  ``error`` frame). ``decode`` picks the class by the frame's ``type`` (``CLIENT``).
- **Server frames** are typed dicts: the API, a worker and beat build them too (this module
  is in ``backend`` so that they can), and a push carries thousands, which go to the socket
  as the JSON they came in: a class per frame would be built and encoded again for each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, NotRequired, TypedDict

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from backend.core.errors import InvalidInput


class FrameError(InvalidInput):
    """A client frame was malformed; the client gets an ``error`` frame naming it."""

    frame_code = "bad_frame"  # the error frame's ``code``


MAX_IDS = 1000
MAX_OFFSET = 2 ** 63 - 1  # seqs and change numbers are PostgreSQL bigints
MAX_SNOOZE = timedelta(days=366)
_AWARE = TypeAdapter(AwareDatetime)


def offset(frame: dict[str, Any], kind: str, name: str) -> int:
    """A seq or change number a client sent: an integer a bigint column can hold, or a
    FrameError naming it (an out-of-range one would fail the statement it shares with
    other readers)."""
    value = frame.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise FrameError(f"{kind}: {name} must be an integer from 0 to {MAX_OFFSET}")
    return value


def _optional_offset(frame: dict[str, Any], kind: str, name: str) -> int | None:
    return None if frame.get(name) is None else offset(frame, kind, name)


def _ids(frame: dict[str, Any]) -> tuple[uuid.UUID, ...]:
    raw = frame.get("ids")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS:
        raise FrameError(f"ids must be a list of 1 to {MAX_IDS} notification ids")
    try:
        return tuple(uuid.UUID(str(i)) for i in raw)
    except ValueError as exc:
        raise FrameError(f"ids: {exc}") from exc


def _until(frame: dict[str, Any]) -> datetime:
    try:
        until = _AWARE.validate_python(frame.get("until"))
    except ValidationError as exc:
        raise FrameError("snooze: until must be an ISO 8601 time with a UTC offset") from exc
    now = datetime.now(UTC)
    if not now < until <= now + MAX_SNOOZE:
        raise FrameError("snooze: until must be in the future, within 366 days")
    return until.astimezone(UTC)  # an offset PostgreSQL takes (+23:59 is beyond its range)


# Client frames ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ping:
    TYPES: ClassVar[tuple[str, ...]] = ("ping",)

    @classmethod
    def decode(cls, frame: dict[str, Any]) -> Ping:
        return cls()


@dataclass(frozen=True)
class Auth:
    """A fresh token before the old one expires."""

    TYPES: ClassVar[tuple[str, ...]] = ("auth",)
    token: object

    @classmethod
    def decode(cls, frame: dict[str, Any]) -> Auth:
        return cls(frame.get("token"))  # checked as a JWT by the gateway's auth


@dataclass(frozen=True)
class Hello:
    """Where the client is: replay after ``since`` (and changes after ``change``)."""

    TYPES: ClassVar[tuple[str, ...]] = ("hello",)
    since: int | None
    epoch: str | None = None
    change: int | None = None

    @classmethod
    def decode(cls, frame: dict[str, Any]) -> Hello:
        epoch = frame.get("epoch")
        return cls(_optional_offset(frame, "hello", "since"),
                   epoch if isinstance(epoch, str) else None,
                   _optional_offset(frame, "hello", "change"))


@dataclass(frozen=True)
class AckSeq:
    """Everything up to ``seq`` arrived (what herald.js sends)."""

    seq: int


@dataclass(frozen=True)
class AckIds:
    """These notifications arrived."""

    ids: tuple[uuid.UUID, ...]


class Ack:
    TYPES: ClassVar[tuple[str, ...]] = ("ack",)

    @classmethod
    def decode(cls, frame: dict[str, Any]) -> AckSeq | AckIds:
        if "seq" in frame:
            return AckSeq(offset(frame, "ack", "seq"))
        return AckIds(_ids(frame))


StateKind = Literal["read", "seen", "archive", "unarchive", "snooze"]


@dataclass(frozen=True)
class StateChange:
    """Some notifications (``ids``), or all (None), take an inbox state."""

    TYPES: ClassVar[tuple[str, ...]] = ("read", "seen", "archive", "unarchive", "read_all",
                                        "seen_all", "snooze")
    kind: StateKind
    ids: tuple[uuid.UUID, ...] | None
    until: datetime | None = None

    @classmethod
    def decode(cls, frame: dict[str, Any]) -> StateChange:
        kind = frame["type"]
        if kind in ("read_all", "seen_all"):
            return cls("read" if kind == "read_all" else "seen", None)
        if kind == "snooze":
            return cls("snooze", _ids(frame), _until(frame))
        return cls(kind, _ids(frame))


ClientFrame = Ping | Auth | Hello | AckSeq | AckIds | StateChange
CLIENT = {kind: decoder for decoder in (Ping, Auth, Hello, Ack, StateChange)
          for kind in decoder.TYPES}


def ids_of(frame: ClientFrame) -> int:
    """The notifications a frame asks the database to change (a whole inbox counts as the
    most a frame may name): what a socket's and a tenant's budget are counted in."""
    if isinstance(frame, AckIds):
        return len(frame.ids)
    if isinstance(frame, StateChange):
        return MAX_IDS if frame.ids is None else len(frame.ids)
    return 0  # acks by seq are gathered and cheap; pings, hellos and auth touch no row


def decode(frame: dict[str, Any]) -> ClientFrame:
    """The client frame ``frame`` is, checked; FrameError if it is none, or malformed."""
    kind = frame.get("type")
    decoder = CLIENT.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise FrameError(f"unknown frame type {kind!r}")
    return decoder.decode(frame)


# Server frames ------------------------------------------------------------------------------
class NotificationFrame(TypedDict):
    """``notification`` (and ``updated`` after an edit or state change): one notification."""

    type: Literal["notification", "updated"]
    id: str
    seq: int
    title: str
    body: str
    category: str | None
    priority: str
    data: dict[str, Any]
    created_at: str
    read: bool
    seen: bool
    archived: bool
    snoozed_until: str | None
    change: int


class DeletedFrame(TypedDict):
    type: Literal["deleted"]
    id: str
    seq: int
    change: int


class StateFrame(TypedDict):
    """Many notifications took one state (the one field set of the four)."""

    type: Literal["state"]
    ids: list[str]
    change: int
    read: NotRequired[bool]
    seen: NotRequired[bool]
    archived: NotRequired[bool]
    snoozed_until: NotRequired[str | None]


class ReadFrame(TypedDict):
    """What clients older than ``state`` know of notifications read."""

    type: Literal["read"]
    ids: list[str]


class WelcomeFrame(TypedDict):
    type: Literal["welcome"]
    user: str
    unread: int
    unseen: int
    seq: int
    epoch: str
    change: int
    recovered: bool


class CountsFrame(TypedDict):
    type: Literal["counts"]
    unseen: int
    unread: int
    archived: int


class UnreadFrame(TypedDict):
    """What clients older than ``counts`` know."""

    type: Literal["unread"]
    count: int


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str


class PongFrame(TypedDict):
    type: Literal["pong"]


StoredFrame = NotificationFrame | DeletedFrame  # one stored notification, as it is now
ServerFrame = (NotificationFrame | DeletedFrame | StateFrame | ReadFrame | CountsFrame
               | UnreadFrame | WelcomeFrame | ErrorFrame | PongFrame)


def error(code: str, message: str) -> ErrorFrame:
    return {"type": "error", "code": code, "message": message}


def bad_frame(message: str) -> ErrorFrame:
    return error("bad_frame", message)


PONG: PongFrame = {"type": "pong"}
