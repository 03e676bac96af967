"""Validation shared by every request body: strict models, and the fields many of them use."""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
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
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in value):
        raise ValueError(f"not an email address: {value!r}")
    return value


# A product's user id: no surrounding spaces, no control characters.
USER_ID_PATTERN = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
UserId = Annotated[str, Field(min_length=1, max_length=200, pattern=USER_ID_PATTERN)]
LocaleTag = Annotated[str, Field(max_length=35), AfterValidator(check_locale)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(check_email)]
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
