"""Pydantic schemas of the service API: the public contract, and the OpenAPI page's source."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from backend.render import check_syntax

Priority = Literal["high", "normal", "low"]
Channel = Literal["in_app", "email", "slack"]
Status = Literal[
    "scheduled", "accepted", "persisted", "delivered", "read", "fallback_sent", "failed"
]


def _check_locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"unknown locale {value!r}") from exc
    return value


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def _check_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in value):
        raise ValueError(f"not an email address: {value!r}")
    return value


def _check_template(value: str) -> str:
    check_syntax(value)
    return value


# A product's user id: no surrounding spaces, no control characters.
USER_ID_PATTERN = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
UserId = Annotated[str, Field(min_length=1, max_length=200, pattern=USER_ID_PATTERN)]
LocaleTag = Annotated[str, Field(max_length=35), AfterValidator(_check_locale)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_check_email)]
TemplateText = Annotated[str, AfterValidator(_check_template)]


def _find_nul(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items = [(f"{where}.{k}", k) for k in value] + [(f"{where}.{k}", v)
                                                       for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    return next((found for path, item in items if (found := _find_nul(item, path))), None)


class Strict(BaseModel):
    """Request bodies: unknown fields and NUL characters (PostgreSQL cannot store them) are
    refused with the field named."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if (where := _find_nul(value, "body")) is not None:
            raise ValueError(f"{where}: NUL characters are not allowed")
        return value


class Content(Strict):
    title: Annotated[TemplateText, Field(min_length=1, max_length=500)]
    body: Annotated[TemplateText, Field(max_length=10_000)] = ""


TemplateKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


class NotificationCreate(Strict):
    recipients: Annotated[list[UserId], Field(min_length=1, max_length=1000)]
    content: Content | None = Field(None, description="literal text; or give a template")
    template: TemplateKey | None = Field(None, description="a template key; or give content")
    data: dict[str, Any] = Field(default_factory=dict)
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    priority: Priority = "normal"
    channels: Annotated[list[Channel], Field(min_length=1)] = ["in_app", "email"]
    locale: LocaleTag | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    send_at: AwareDatetime | None = Field(
        None, description="future ISO 8601 time with offset: the notification is scheduled")

    @model_validator(mode="after")
    def _content_or_template(self) -> NotificationCreate:
        if (self.content is None) == (self.template is None):
            raise ValueError("give exactly one of content and template")
        return self

    @model_validator(mode="after")
    def _channel_order(self) -> NotificationCreate:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel may appear once")
        if "in_app" in self.channels and self.channels[0] != "in_app":
            raise ValueError("channels: in_app, when present, comes first (the others are "
                             "its fallbacks)")
        return self


class NotificationBatch(Strict):
    items: Annotated[list[NotificationCreate], Field(min_length=1, max_length=100)]


class NotificationBatchAccepted(BaseModel):
    items: list[NotificationAccepted]


class ScheduleCreate(Strict):
    cron: Annotated[str, Field(min_length=1, max_length=200, description=(
        "five fields (minute hour day month weekday), or six with seconds last"))]
    timezone: TimeZone = "UTC"
    notification: NotificationCreate

    @model_validator(mode="after")
    def _valid(self) -> ScheduleCreate:
        from croniter import croniter

        if not croniter.is_valid(self.cron):
            raise ValueError(f"cron: not a valid cron expression: {self.cron!r}")
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
    notifications: list[Recipient]


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    attempt: int
    outcome: str
    error: str | None
    at: datetime


class NotificationPublic(BaseModel):
    id: uuid.UUID
    status: Status
    status_reason: str | None = None
    recipient: str | None = None
    seq: int | None = None
    category: str | None = None
    priority: Priority | None = None
    title: str | None = None
    body: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    attempts: list[AttemptPublic] = []


class UserUpdate(Strict):
    name: Annotated[str, Field(max_length=200)] | None = None
    locale: LocaleTag | None = None
    timezone: TimeZone | None = None
    email: Email | None = None
    slack_webhook_url: HttpUrl | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: str = Field(validation_alias="external_id")
    name: str | None
    locale: str | None
    timezone: str | None
    email: str | None
    slack_webhook_url: str | None


class TokenCreate(Strict):
    user_id: UserId
    ttl_seconds: Annotated[int, Field(ge=1)] = 3600


class TokenPublic(BaseModel):
    token: str
    expires_at: datetime


class TemplateUpsert(Strict):
    title: Annotated[TemplateText, Field(min_length=1, max_length=500)]
    body: Annotated[TemplateText, Field(max_length=10_000)] = ""
    email_subject: Annotated[TemplateText, Field(max_length=500)] | None = None
    email_html: Annotated[TemplateText, Field(max_length=200_000)] | None = None
    email_text: Annotated[TemplateText, Field(max_length=100_000)] | None = None
    slack_text: Annotated[TemplateText, Field(max_length=10_000)] | None = None


class TemplateVersion(BaseModel):
    """One version of a template for one locale: as stored, or as rendered by a preview."""

    model_config = ConfigDict(from_attributes=True)

    locale: str
    version: int
    title: str
    body: str
    email_subject: str | None
    email_html: str | None
    email_text: str | None
    slack_text: str | None


class TemplatePublic(TemplateVersion):
    key: str
    created_at: datetime


class PreviewRequest(Strict):
    locale: LocaleTag = "en"
    timezone: TimeZone = "UTC"
    data: dict[str, Any] = Field(default_factory=dict)


class PreviewResult(TemplateVersion):
    """The template's fields rendered for the locale it negotiated."""


class QuietHours(Strict):
    start: time
    end: time


class PreferencesUpdate(Strict):
    categories: dict[Annotated[str, Field(max_length=100)], dict[Channel, bool]] = Field(
        default_factory=dict, description='per category ("*" for all), per channel on/off')
    quiet_hours: QuietHours | None = None
    digest: Literal["off", "hourly", "daily"] = "off"


class TenantPreferences(PreferencesUpdate):
    required_categories: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, description="categories that ignore readers' opt-outs")
