"""Template versions: adding one, reading the newest, previewing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.models import Template
from backend.templates import compose
from backend.templates.budget import Budget
from backend.templates.i18n import negotiation_chain
from backend.templates.isolated import render_apart

FIELDS = ("title", "body", "email_subject", "email_html", "email_text", "slack_text")


def add_version(session: Session, tenant_id: uuid.UUID, key: str, locale: str,
                fields: dict[str, str | None]) -> Template:
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


def preview(session: Session, tenant_id: uuid.UUID, key: str, locale: str, timezone: str,
            data: dict, limits: Budget) -> tuple[Template, dict[str, str | None]] | None:
    """Render every field for ``locale`` (negotiated) in a process of its own; RenderError
    names the first bad field."""
    versions = compose.latest_versions(session, tenant_id, key)
    template = compose.choose(versions, negotiation_chain(locale))
    if template is None:
        return None
    fields = {name: getattr(template, name) for name in FIELDS}
    return template, render_apart(fields, data, template.locale, timezone, limits)
