"""Schemas of readers' profiles and browser tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from backend.core.validation import Email, LocaleTag, Strict, TimeZone, UserId


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


class UserErased(BaseModel):
    user_id: str
    erased: dict[str, int] = Field(description=(
        "what was removed: notifications, subscriptions, scheduled, events, stream_entries, "
        "dead_letters"))
