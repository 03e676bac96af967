"""The database schema. Every table but ``tenants`` is scoped by ``tenant_id``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # HS256 needs the secret itself to verify a reader's JWT, so it cannot be hashed.
    signing_secret: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(35), server_default="en")
    # Readers' tokens are HS256 with signing_secret, unless the tenant signs them itself
    # with RS256/ES256 and gave Herald the public key.
    jwt_algorithm: Mapped[str] = mapped_column(String(10), server_default="HS256")
    jwt_public_key: Mapped[str | None] = mapped_column(Text)
    # Readers' preferences start from these: {"categories": {"news": {"email": false}}}.
    preference_defaults: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # Categories (security, billing) that ignore readers' opt-outs.
    required_categories: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    # Browser origins whose pages may call the gateway's REST inbox (CORS), e.g.
    # ["https://app.example.com"].
    allowed_origins: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    # Web Push (VAPID, RFC 8292): made on first use. The private key (PEM) stays with the
    # workers; the public one (base64url, uncompressed point) is what browsers subscribe to.
    vapid_private_key: Mapped[str | None] = mapped_column(Text)
    vapid_public_key: Mapped[str | None] = mapped_column(String(100))
    # Where a click on a push opens when the notification has no ``data.url``.
    push_default_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "secret" | "publishable"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """A reader: the product's own user id, scoped by tenant."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    slack_webhook_url: Mapped[str | None] = mapped_column(Text)
    # {"categories": {cat: {channel: bool}}, "quiet_hours": {"start", "end"}, "digest": ...}
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    digest_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last per-reader sequence number handed out; seqs are dense (no gap on reconnect).
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Changes when a reader's history is reset, so clients know their offsets are void.
    epoch: Mapped[str] = mapped_column(String(32))
    # The last change number handed out: every edit, retraction or state change of one of
    # the reader's notifications takes the next one (``notifications.change``).
    last_change: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ReaderView(Protocol):
    """What storing, rendering and preferences read of a reader: a ``User``, or a plain row
    of ``READER_COLUMNS`` (the worker reads a whole batch's readers without ORM objects)."""

    @property
    def id(self) -> int: ...
    @property
    def external_id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def preferences(self) -> dict[str, Any]: ...


READER_COLUMNS = (User.id, User.external_id, User.name, User.last_seq, User.locale, User.timezone,
                  User.preferences)


class Notification(Base):
    """Partitioned by week of ``created_at`` (migration 0011; ``retention`` keeps the weeks), so
    its key is (id, created_at); (reader_id, seq) is indexed, unique by the worker's lock."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_reader_seq", "reader_id", "seq"),
        Index("ix_notifications_unread", "reader_id", postgresql_where="read_at IS NULL"),
        Index("ix_notifications_group", "group_id"),
        Index("ix_notifications_created_brin", "created_at", postgresql_using="brin"),
        Index("ix_notifications_changes", "reader_id", "change", postgresql_where="change > 0"),
        Index("ix_notifications_snoozed", "snoozed_until",
              postgresql_where="snoozed_until IS NOT NULL"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The reader's row id (users.id), not the product's own user id (users.external_id).
    reader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10))
    template: Mapped[str | None] = mapped_column(String(200))
    # The template version rendered: later edits never change what was sent.
    template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    channels: Mapped[list[str]] = mapped_column(JSONB, server_default='["in_app", "email"]')
    locale: Mapped[str | None] = mapped_column(String(35))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The sending request's span (W3C), when tracing was on: retries and fallbacks continue it.
    traceparent: Mapped[str | None] = mapped_column(String(55))
    status: Mapped[str] = mapped_column(String(20))
    # Why the status is what it is, e.g. the last fallback's error for "failed".
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    persisted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when its email step chose the reader's digest, and once a digest email listed it.
    digest_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The reader's change number of its last edit, retraction or state change (0: none).
    change: Mapped[int] = mapped_column(BigInteger, server_default="0")
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Hidden from the inbox until then, then back as unread.
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Retracted by the product: kept as a tombstone so that clients learn of it on replay.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Template(Base):
    """One version of a template for one locale; a PUT adds a version, never edits one."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "locale", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(35))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, server_default="")
    email_subject: Mapped[str | None] = mapped_column(Text)
    email_html: Mapped[str | None] = mapped_column(Text)
    email_text: Mapped[str | None] = mapped_column(Text)
    slack_text: Mapped[str | None] = mapped_column(Text)
    # Declared variables, name -> {"default": value} or {} (required); None: none declared.
    variables: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_attempts_notification", "notification_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # No foreign key (notifications is partitioned): removed with its notification by
    # retention and erasure.
    notification_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(Base):
    """The next delivery step of a notification still on its way: waiting is a row, never a
    task held in a worker's memory.

    ``step`` indexes the notification's ``channels``; ``due_at`` doubles as a lease once a
    dispatcher hands the row to a task, so a lost task's row comes back on its own.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "due_at"),
                      Index("ix_deliveries_tenant_due", "tenant_id", "due_at"))

    # No foreign key (notifications is partitioned): see DeliveryAttempt.
    notification_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    priority: Mapped[str] = mapped_column(String(10))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)  # attempts already made on this step
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScheduledSend(Base):
    """A request with ``send_at`` in the future, moved into the stream when due."""

    __tablename__ = "scheduled_sends"
    __table_args__ = (
        Index("ix_scheduled_due", "due_at", postgresql_where="enqueued_at IS NULL"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONB)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Schedule(Base):
    """A recurring send: a cron expression in a time zone, and the notification to send."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_next", "next_run_at", postgresql_where="deleted_at IS NULL"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    notification: Mapped[dict[str, Any]] = mapped_column(JSONB)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A schedule that could not run is stopped alone, with the reason shown to its tenant.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def status(self) -> str:
        return "failed" if self.failed_at else "active"


class Topic(Base):
    """A named list of readers (``topic_subscribers``) that one send reaches, each reader with
    a notification of its own."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TopicSubscriber(Base):
    """The product's own user id: a subscriber need not have received anything yet."""

    __tablename__ = "topic_subscribers"
    __table_args__ = (UniqueConstraint("topic_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))


class PushSubscription(Base):
    """One of a reader's browsers (devices) that accepts Web Push: the ``PushSubscription``
    it made, endpoint and keys (RFC 8291)."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("reader_id", "endpoint",
                                       name="push_subscriptions_reader_endpoint"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TopicSend(Base):
    """A send to a topic, fanned out in chunks by a beat tick: the subscribers with row ids in
    (``after``, ``up_to``], ``up_to`` being the newest subscriber when the API accepted it."""

    __tablename__ = "topic_sends"
    __table_args__ = (
        Index("ix_topic_sends_due", "due_at", postgresql_where="done_at IS NULL"),
        UniqueConstraint("tenant_id", "idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the send, without recipients
    up_to: Mapped[int] = mapped_column(BigInteger)
    after: Mapped[int] = mapped_column(BigInteger, server_default="0")
    recipients: Mapped[int] = mapped_column(Integer)
    appended: Mapped[int] = mapped_column(Integer, server_default="0")  # fanned out so far
    # The subscribers (row ids) online at the first tick, fanned out before the rest.
    first: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))  # when the API accepted the send
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    """An endpoint of the product's backend that receives signed delivery events."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                                 index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONB)  # e.g. ["notification.delivered"]
    # The HMAC key of its signatures: needed to sign, so kept as is (shown once, at creation).
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookEvent(Base):
    """One event owed to one webhook. Written by the ``herald_webhook_events`` trigger in the
    transaction that changed a notification's status (migration 0010); sent by beat, retried
    with backoff, the same ``id`` every time so that the receiver can drop repeats."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_due", "next_at",
              postgresql_where="delivered_at IS NULL AND failed_at IS NULL"),
        Index("ix_webhook_events_tenant_due", "tenant_id", "next_at",
              postgresql_where="delivered_at IS NULL AND failed_at IS NULL"),
        Index("ix_webhook_events_webhook", "webhook_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # also a lease
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[int | None] = mapped_column(Integer)  # the answer's status, if any
    error: Mapped[str | None] = mapped_column(Text)
