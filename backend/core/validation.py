"""Validation shared by every request body: strict models, and the fields many of them use."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def check_locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"unknown locale {value!r}") from exc
    return value


def check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def check_email(value: str) -> str:
    """Exactly one bare address (no list, no display name, no header injection), by the
    syntax rules of ``email-validator``; deliverability is the SMTP server's business."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not a single email address: {exc}") from exc
    return value


def check_local_time(value: time) -> time:
    """Quiet hours are wall-clock times in the reader's own time zone: no offset of their own."""
    if value.tzinfo is not None:
        raise ValueError("give a time without an offset: quiet hours are read in the reader's "
                         "time zone")
    return value


# A product's user id: no surrounding spaces, no control characters.
USER_ID_PATTERN = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
USER_ID_MAX_LENGTH = 200
UserId = Annotated[str, Field(min_length=1, max_length=USER_ID_MAX_LENGTH,
                              pattern=USER_ID_PATTERN)]


def is_user_id(value: object) -> bool:
    """The ``UserId`` rule, for values that do not come through a schema (a token's ``sub``)."""
    return (isinstance(value, str) and len(value) <= USER_ID_MAX_LENGTH
            and re.fullmatch(USER_ID_PATTERN, value) is not None)
LocaleTag = Annotated[str, Field(max_length=35), AfterValidator(check_locale)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(check_email)]
LocalTime = Annotated[time, AfterValidator(check_local_time)]
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
