"""Template versions: adding one, reading the newest, previewing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.core.errors import InvalidInput
from backend.db.models import Template
from backend.templates import compose, variables
from backend.templates.budget import Budget
from backend.templates.i18n import negotiation_chain
from backend.templates.isolated import render_apart
from backend.templates.schemas import TEXT_FIELDS as FIELDS


@dataclass(frozen=True)
class VersionNeeds:
    """What one template version needs from a send (a version never changes: cached by id)."""

    locale: str
    texts: dict[str, variables.Needs]
    declared: dict[str, Any] | None


_NEEDS: dict[int, VersionNeeds] = {}
_NEEDS_KEPT = 20_000  # versions whose needs a process remembers


def add_version(session: Session, tenant_id: uuid.UUID, key: str, locale: str,
                fields: dict[str, Any]) -> Template:
    """A new version; what was sent with an older one keeps pointing at that one."""
    current = session.scalar(select(func.max(Template.version)).where(
        Template.tenant_id == tenant_id, Template.key == key, Template.locale == locale))
    template = Template(tenant_id=tenant_id, key=key, locale=locale,
                        version=(current or 0) + 1, **fields)
    session.add(template)
    session.flush()
    return template


def exists(session: Session, tenant_id: uuid.UUID, key: str) -> bool:
    return session.scalar(select(Template.id).where(
        Template.tenant_id == tenant_id, Template.key == key).limit(1)) is not None


def _latest_needs(session: Session, tenant_id: uuid.UUID, key: str) -> list[VersionNeeds]:
    ids = list(session.scalars(
        select(Template.id).where(Template.tenant_id == tenant_id, Template.key == key)
        .order_by(Template.locale, Template.version.desc()).distinct(Template.locale)))
    unknown = [i for i in ids if i not in _NEEDS]
    if unknown:
        if len(_NEEDS) + len(unknown) > _NEEDS_KEPT:
            _NEEDS.clear()
        for t in session.scalars(select(Template).where(Template.id.in_(unknown))):
            _NEEDS[t.id] = VersionNeeds(t.locale, {
                name: variables.needs(getattr(t, name)) for name in FIELDS}, t.variables)
    return [_NEEDS[i] for i in ids]


def check_send(session: Session, tenant_id: uuid.UUID, key: str, data: dict[str, Any],
               loc: Sequence[str | int]) -> None:
    """A send of template ``key`` with ``data`` renders for every reader, whatever language
    they get, or InvalidInput names the template, locale, field and variable."""
    found = _latest_needs(session, tenant_id, key)
    if not found:
        raise InvalidInput(f"template {key!r} does not exist", (*loc, "template"))
    for version in found:
        if problem := variables.first_missing(version.texts, data, version.declared):
            raise InvalidInput(f"template {key!r} ({version.locale}) {problem}",
                               (*loc, "data"))


def check_content(title: str, body: str, data: dict[str, Any],
                  loc: Sequence[str | int]) -> None:
    """Inline content renders with ``data``, or InvalidInput names the field and variable."""
    texts = {"content.title": variables.needs(title), "content.body": variables.needs(body)}
    if problem := variables.first_missing(texts, data):
        where = "title" if problem.startswith("content.title") else "body"
        raise InvalidInput(problem, (*loc, "content", where))


def preview(session: Session, tenant_id: uuid.UUID, key: str, locale: str, timezone: str,
            data: dict, limits: Budget) -> tuple[Template, dict[str, str | None]] | None:
    """Render every field for ``locale`` (negotiated) in a process of its own; RenderError
    names the first bad field."""
    versions = compose.latest_versions(session, tenant_id, key)
    template = compose.choose(versions, negotiation_chain(locale))
    if template is None:
        return None
    fields = {name: getattr(template, name) for name in FIELDS}
    values = compose.context(data, None, template.variables)
    values[variables.READER] = {"locale": template.locale, "timezone": timezone,
                                **values[variables.READER]}
    return template, render_apart(fields, values, template.locale, timezone, limits)
