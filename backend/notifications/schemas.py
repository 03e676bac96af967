"""Schemas of sending: the public contract of notifications, schedules, dead letters and
preferences, and the OpenAPI page's source."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from backend.core.validation import LocaleTag, LocalTime, Strict, TimeZone, UserId
from backend.notifications.lifecycle import DEFAULT_CHANNELS, Channel, Priority, Status
from backend.notifications.schedules import check_fields
from backend.templates.schemas import TemplateKey, TemplateText


class Content(Strict):
    title: Annotated[TemplateText, Field(min_length=1, max_length=500)]
    body: Annotated[TemplateText, Field(max_length=10_000)] = ""


TopicKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


class NotificationCreate(Strict):
    topic: TopicKey | None = Field(None, description="a topic key: every subscriber at send "
                                   "time gets a notification of its own; or give recipients")
    recipients: Annotated[list[UserId], Field(max_length=1000, validate_default=True,
                                              description="the product's own user ids, 1 to "
                                              "1000; or give a topic")] = []
    content: Content | None = Field(None, description="literal text; or give a template")
    template: TemplateKey | None = Field(None, description="a template key; or give content")
    data: dict[str, Any] = Field(default_factory=dict)
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    priority: Priority = Priority.NORMAL
    channels: Annotated[list[Channel], Field(min_length=1, description=(
        "the chain: in_app first, then its fallbacks in order; by default in_app and email, "
        "with web_push between them for a reader who subscribed to push"))] = \
        list(DEFAULT_CHANNELS)
    locale: LocaleTag | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    send_at: AwareDatetime | None = Field(
        None, description="future ISO 8601 time with offset: the notification is scheduled")

    @field_validator("recipients")
    @classmethod
    def _recipients_or_topic(cls, recipients: list[str], info: ValidationInfo) -> list[str]:
        # Checked on recipients (declared after topic), so that the error names the field.
        if bool(recipients) == (info.data.get("topic") is not None):
            raise ValueError("give exactly one of recipients (1 to 1000) and topic")
        return recipients

    @model_validator(mode="after")
    def _content_or_template(self) -> NotificationCreate:
        if (self.content is None) == (self.template is None):
            raise ValueError("give exactly one of content and template")
        return self

    @model_validator(mode="after")
    def _channel_order(self) -> NotificationCreate:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel may appear once")
        if Channel.IN_APP in self.channels and self.channels[0] != Channel.IN_APP:
            raise ValueError("channels: in_app, when present, comes first (the others are "
                             "its fallbacks)")
        return self


class NotificationEdit(Strict):
    content: Content | None = Field(None, description="new title and body, rendered with data")
    template: TemplateKey | None = Field(None, description="a template to render instead")
    data: dict[str, Any] | None = Field(None, description="new template variables")

    @model_validator(mode="after")
    def _something(self) -> NotificationEdit:
        if self.content is None and self.template is None and self.data is None:
            raise ValueError("give content, template or data to change")
        if self.content is not None and self.template is not None:
            raise ValueError("give at most one of content and template")
        return self


class NotificationsChanged(BaseModel):
    id: uuid.UUID
    changed: int = Field(description="how many readers' notifications changed")


class NotificationBatch(Strict):
    items: Annotated[list[NotificationCreate], Field(min_length=1, max_length=100)]


class NotificationBatchAccepted(BaseModel):
    items: list[NotificationAccepted]


class ScheduleCreate(Strict):
    cron: Annotated[str, Field(min_length=1, max_length=200, description=(
        "five fields (minute hour day month weekday), or six with seconds last; at most one "
        "run a minute by default")), AfterValidator(check_fields)]
    timezone: TimeZone = "UTC"
    notification: NotificationCreate

    @model_validator(mode="after")
    def _valid(self) -> ScheduleCreate:
        if self.notification.send_at is not None or self.notification.idempotency_key:
            raise ValueError("notification: send_at and idempotency_key are set per run")
        return self


class SchedulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cron: str
    timezone: str
    notification: dict[str, Any]
    next_run_at: datetime
    runs: int
    created_at: datetime
    status: Literal["active", "failed"]
    failure_reason: str | None = None


class DeadLetter(BaseModel):
    id: str
    reason: str
    at: datetime
    payload: Any


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    next_after: str | None


class Recipient(BaseModel):
    id: uuid.UUID
    recipient: str


class NotificationAccepted(BaseModel):
    id: uuid.UUID
    status: Literal["accepted", "scheduled"]
    notifications: list[Recipient] = Field(
        default_factory=list, description="one per recipient; absent for a topic send")
    topic: str | None = Field(None, description="a topic send: its key")
    recipients: int | None = Field(None, description="a topic send: its subscribers then")


class TopicUpsert(Strict):
    name: Annotated[str, Field(max_length=200)] | None = None


class TopicPublic(BaseModel):
    key: str
    name: str | None
    subscribers: int


class SubscribersChange(Strict):
    add: Annotated[list[UserId], Field(max_length=1000)] = []
    remove: Annotated[list[UserId], Field(max_length=1000)] = []


class SubscribersChanged(BaseModel):
    added: int
    removed: int
    subscribers: int


class SubscriberPage(BaseModel):
    items: list[str]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    attempt: int
    outcome: str
    error: str | None
    at: datetime


class SendSummary(BaseModel):
    """A whole send (its id is the 202's): what became of the notifications it made."""

    topic: str | None = Field(None, description="a topic send: its topic")
    subscribers: int | None = Field(None, description="a topic send: subscribers at send time")
    appended: int | None = Field(None, description="a topic send: notifications made so far")
    notifications: dict[str, int] = Field(
        description="how many of its notifications stand at each status (stored ones)")


class NotificationPublic(BaseModel):
    id: uuid.UUID
    status: Status
    status_reason: str | None = None
    recipient: str | None = None
    seq: int | None = None
    category: str | None = None
    priority: Priority | None = None
    title: str | None = Field(None, description="as rendered for the reader; while scheduled, "
                              "the content as given (a template send: see template)")
    body: str | None = None
    template: str | None = Field(None, description="while scheduled: the template it will "
                                 "render")
    data: dict[str, Any] | None = Field(None, description="while scheduled: its variables")
    send_at: datetime | None = Field(None, description="while scheduled: when it is sent")
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = Field(None, description="retracted at")
    attempts: list[AttemptPublic] = []
    send: SendSummary | None = Field(None, description="the id of a whole send: its progress")


class QuietHours(Strict):
    start: LocalTime
    end: LocalTime


class PreferencesUpdate(Strict):
    categories: dict[Annotated[str, Field(max_length=100)], dict[Channel, bool]] = Field(
        default_factory=dict, max_length=200,
        description='per category ("*" for all), per channel on/off; at most 200 categories')
    quiet_hours: QuietHours | None = None
    digest: Literal["off", "hourly", "daily"] = "off"


class TenantPreferences(PreferencesUpdate):
    required_categories: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200,
        description="categories that ignore readers' opt-outs")


EventType = Literal["notification.delivered", "notification.read", "notification.failed",
                    "notification.fallback_sent"]


class WebhookCreate(Strict):
    url: Annotated[str, Field(min_length=8, max_length=2000, description=(
        "https, public; http and private hosts only for those in HERALD_OUTBOUND_ALLOW"))]
    events: Annotated[list[EventType], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _once_each(self) -> WebhookCreate:
        if len(set(self.events)) != len(self.events):
            raise ValueError("events: each event type may appear once")
        return self


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="the HMAC-SHA256 key of Herald-Signature; shown only now")


class EventAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status: int | None
    error: str | None


class EventPublic(BaseModel):
    id: uuid.UUID
    type: str
    created_at: datetime
    data: dict[str, Any]
    delivered_at: datetime | None
    failed_at: datetime | None
    next_at: datetime | None
    attempts: list[EventAttemptPublic]


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None = Field(None, description="pass as cursor for older events")


def _key_of_length(value: str, size: int, name: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise ValueError(f"{name}: not base64url") from exc
    if len(raw) != size:
        raise ValueError(f"{name}: {size} bytes expected, got {len(raw)}")
    return value


class PushKeys(Strict):
    p256dh: Annotated[str, Field(max_length=200, description=(
        "the browser's P-256 public key, base64url (65 bytes)"))]
    auth: Annotated[str, Field(max_length=100, description="the auth secret, base64url (16 bytes)")]

    @field_validator("p256dh")
    @classmethod
    def _point(cls, value: str) -> str:
        return _key_of_length(value, 65, "p256dh")

    @field_validator("auth")
    @classmethod
    def _secret(cls, value: str) -> str:
        return _key_of_length(value, 16, "auth")


class PushSubscriptionIn(Strict):
    """What ``PushSubscription.toJSON()`` gives in the browser."""

    endpoint: Annotated[str, Field(min_length=1, max_length=2000, description=(
        "the push service's URL for this browser (https, public)"))]
    expirationTime: int | None = None  # noqa: N815 - the browser's own name
    keys: PushKeys


class PushSubscriptionOut(BaseModel):
    id: int
    endpoint: str
    created_at: str


class PushSubscriptions(BaseModel):
    public_key: str = Field(description=(
        "the tenant's VAPID public key: the applicationServerKey to subscribe with"))
    subscriptions: list[PushSubscriptionOut]


class PushRemoved(BaseModel):
    removed: int
