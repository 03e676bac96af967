"""Schemas of templates: a version as uploaded, stored, previewed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from backend.core.validation import LocaleTag, Strict, TimeZone
from backend.templates import variables
from backend.templates.render import check_syntax


def _check_template(value: str) -> str:
    check_syntax(value)
    return value


TemplateText = Annotated[str, AfterValidator(_check_template)]
TemplateKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


VariableName = Annotated[str, Field(max_length=100,
                                    pattern=r"^(reader\.)?[A-Za-z_][A-Za-z0-9_]*$")]


class Variable(Strict):
    """A declared variable: required, or with a default used when a send (or, for
    ``reader.<field>``, a reader's profile) does not give it."""

    default: Any = Field(None, description="used when the value is missing; absent: required")

    @model_validator(mode="after")
    def _small(self) -> Variable:
        if len(json.dumps(self.default, default=str)) > 2_000:
            raise ValueError("default: at most 2,000 characters of JSON")
        return self


TEXT_FIELDS = ("title", "body", "email_subject", "email_html", "email_text", "slack_text")


class TemplateUpsert(Strict):
    title: Annotated[TemplateText, Field(min_length=1, max_length=500)]
    body: Annotated[TemplateText, Field(max_length=10_000)] = ""
    email_subject: Annotated[TemplateText, Field(max_length=500)] | None = None
    email_html: Annotated[TemplateText, Field(max_length=200_000)] | None = None
    email_text: Annotated[TemplateText, Field(max_length=100_000)] | None = None
    slack_text: Annotated[TemplateText, Field(max_length=10_000)] | None = None
    variables: Annotated[dict[VariableName, Variable], Field(max_length=100)] | None = Field(
        None, description='the variables the template needs, e.g. {"order_id": {}, '
        '"reader.name": {"default": "there"}}; a send missing a required one is refused. '
        "When given, every variable the texts use must be declared")

    @model_validator(mode="after")
    def _variables_known(self) -> TemplateUpsert:
        texts = {name: getattr(self, name) for name in TEXT_FIELDS}
        for name, source in texts.items():
            if problem := variables.reader_field_error(variables.needs(source).reader):
                raise ValueError(f"{name}: {problem}")
        if self.variables is not None and (
                problem := variables.undeclared(texts, self.declared() or {})):
            raise ValueError(problem)
        return self

    def stored(self) -> dict[str, Any]:
        """The columns of the version this upload adds."""
        return {**{name: getattr(self, name) for name in TEXT_FIELDS},
                "variables": self.declared()}

    def declared(self) -> dict[str, Any] | None:
        """The declared variables as stored: a default only where one was given."""
        if self.variables is None:
            return None
        return {name: spec.model_dump(exclude_unset=True)
                for name, spec in self.variables.items()}


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
    variables: dict[str, Any] | None = None


class TemplatePublic(TemplateVersion):
    key: str
    created_at: datetime


class PreviewRequest(Strict):
    locale: LocaleTag = "en"
    timezone: TimeZone = "UTC"
    data: dict[str, Any] = Field(default_factory=dict)


class PreviewResult(TemplateVersion):
    """The template's fields rendered for the locale it negotiated."""
