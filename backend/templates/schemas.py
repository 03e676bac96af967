"""Schemas of templates: a version as uploaded, stored, previewed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backend.core.validation import LocaleTag, Strict, TimeZone
from backend.templates.render import check_syntax


def _check_template(value: str) -> str:
    check_syntax(value)
    return value


TemplateText = Annotated[str, AfterValidator(_check_template)]
TemplateKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


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
