"""The messages that carry a notification between processes, each with one encode and decode.

- ``StreamEntry``: one notification for one reader, as the API appends it to the ingest
  stream (and as a scheduled send keeps it until due).
- ``QueuedEntry``: a stream entry on its way through Celery, with the stream id it came from
  (so the worker can release it for trimming once persisted).
- ``PushItem``: a notification frame for one reader, from a worker to the gateway.
- ``LiveFrames``: frames for every open socket of one reader (edits, retractions, state),
  published by the API and by beat on the channel every gateway node listens on.

Ids are named for what they hold: ``external_id`` is the product's own user id (a string);
``reader_row_id`` is Herald's row id of that reader (``users.id``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import uuid6

from backend.core import fast_json
from backend.core import redis_keys as keys
from backend.core.validation import find_unstorable, json_text_storable
from backend.notifications.frames import NotificationFrame, ServerFrame


def new_id() -> uuid.UUID:
    """Notification ids are UUIDv7: they sort by the time the API accepted them. A plain
    ``uuid.UUID`` (not uuid6's subclass), made from the integer: through its text it cost
    the API twice as long, once per recipient."""
    return uuid.UUID(int=uuid6.uuid7().int)


@dataclass(frozen=True)
class StreamEntry:
    id: str
    group_id: str
    tenant_id: str
    recipient: str  # the product's own user id
    priority: str
    channels: list[str]
    created_at: str
    content: dict[str, str] | None = None
    template: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    category: str | None = None
    locale: str | None = None
    idempotency_key: str | None = None
    traceparent: str | None = None  # the API request's span (W3C), when tracing is on

    def to_dict(self) -> dict[str, Any]:
        # Not ``asdict``: it deep-copies ``data`` and ``content`` (18 us against 0.3 us), for
        # every entry the API appends and the bridge forwards; the fields are never changed.
        fields = dict(self.__dict__)
        if fields["traceparent"] is None:
            del fields["traceparent"]  # entries stay as they were with tracing off
        return fields

    def encode(self) -> str:
        return fast_json.dumps(self.to_dict(), default=str).decode()

    def unstorable(self) -> str | None:
        """The first field no store can hold (a lone surrogate, NUL), or None. The API never
        writes one; a bug or an older version might, and it must not fail its batch."""
        return find_unstorable(self.to_dict(), "entry")

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> StreamEntry:
        return cls(**fields)

    @classmethod
    def decode(cls, raw: str) -> StreamEntry:
        fields = fast_json.loads(raw)
        if not isinstance(fields, dict):
            raise ValueError("a stream entry is a JSON object")
        return cls.from_dict(fields)


@dataclass(frozen=True)
class QueuedEntry:
    stream_id: str
    entry: StreamEntry
    lane: str  # the ingest stream it was read from
    # The entry's JSON as the stream holds it: the entry again, so not compared.
    raw: str | None = field(default=None, compare=False)
    traceparent: str | None = None  # the bridge's span of this entry, when tracing is on
    # The reader's entry before this one in the lane, when it went in another batch: this
    # one is stored after it (its seq comes next), waiting for it until ``after_until``.
    after: str | None = None
    after_until: float | None = None  # seconds since the epoch

    def to_dict(self) -> dict[str, Any]:
        """The entry travels as its JSON text: the bridge forwards the text it read rather
        than encoding the entry again (a fifth of its time), and the worker's Celery decodes
        one string per entry rather than each of its objects through kombu's hook."""
        fields: dict[str, Any] = {
            "stream_id": self.stream_id, "lane": self.lane,
            "entry": self.entry.encode() if self.raw is None else self.raw}
        if self.traceparent is not None:
            fields["traceparent"] = self.traceparent
        if self.after is not None:
            fields["after"], fields["after_until"] = self.after, self.after_until
        return fields

    @property
    def trace(self) -> str | None:
        """Where this entry's trace continues: the bridge's span, else the API's."""
        return self.traceparent or self.entry.traceparent

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> QueuedEntry:
        entry = fields["entry"]  # a dict in messages queued by earlier versions
        # Queued before lanes: a partition's one stream, whose name its normal lane kept.
        lane = fields.get("lane") or keys.ingest_stream(fields.get("partition", 0))
        raw = entry if isinstance(entry, str) else None
        return cls(fields["stream_id"], StreamEntry.decode(entry) if raw is not None
                   else StreamEntry.from_dict(entry), lane, raw,
                   traceparent=fields.get("traceparent"), after=fields.get("after"),
                   after_until=fields.get("after_until"))

    def unstorable(self) -> str | None:
        """``StreamEntry.unstorable``, judged on the entry's text where that can tell."""
        if self.raw is not None and json_text_storable(self.raw):
            return None
        return self.entry.unstorable()

    def waits_for(self, now: float) -> str | None:
        """The notification to be stored before this one, while it is still worth waiting."""
        if self.after is None or self.after_until is None or now >= self.after_until:
            return None
        return self.after


class PushItem(NamedTuple):
    """One frame for one reader. A tuple, not a frozen dataclass: a push builds thousands,
    and a frozen dataclass sets each field through ``object.__setattr__``."""

    tenant_id: str
    external_id: str
    frame: NotificationFrame  # the frame the reader's sockets get
    traceparent: str | None = None  # the worker's push span, when tracing is on

    @property
    def notification_id(self) -> str:
        return str(self.frame["id"])

    @property
    def reader(self) -> tuple[str, str]:
        return (self.tenant_id, self.external_id)

    def to_dict(self) -> dict[str, Any]:
        # Not ``asdict``: that deep-copies the frame, for every item of every push.
        fields = {"tenant_id": self.tenant_id, "external_id": self.external_id,
                  "frame": self.frame}
        if self.traceparent is not None:
            fields["traceparent"] = self.traceparent
        return fields

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> PushItem:
        return cls(fields["tenant_id"], fields["external_id"], fields["frame"],
                   fields.get("traceparent"))


@dataclass(frozen=True)
class LiveFrames:
    tenant_id: str
    external_id: str
    frames: list[ServerFrame]

    @property
    def reader(self) -> tuple[str, str]:
        return (self.tenant_id, self.external_id)

    def encode(self) -> str:
        return json.dumps({"op": "live", "reader": list(self.reader), "frames": self.frames})

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> LiveFrames:
        tenant_id, external_id = fields["reader"]
        return cls(tenant_id, external_id, fields["frames"])
