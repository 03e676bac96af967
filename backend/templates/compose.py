"""The text a reader gets: template version and locale chosen, then rendered per channel."""

from __future__ import annotations

import html
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core import metrics
from backend.db.models import Notification, ReaderView, Template, User
from backend.templates import variables
from backend.templates.i18n import is_rtl, negotiation_chain
from backend.templates.render import (
    Overrun,
    RenderError,
    budget,
    is_plain,
    plain_text,
    render,
)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    locale: str
    template_id: int | None
    error: str | None = None
    overran: bool = False  # the render ran out of time (it cost a worker that long)


def latest_versions(session: Session, tenant_id: uuid.UUID, key: str) -> dict[str, Template]:
    """The newest version of a template, per locale."""
    rows = session.scalars(
        select(Template).where(Template.tenant_id == tenant_id, Template.key == key)
        .order_by(Template.locale, Template.version.desc())
        .distinct(Template.locale)
    )
    return {row.locale: row for row in rows}


def choose(versions: dict[str, Template], chain: list[str]) -> Template | None:
    for tag in chain:
        if tag in versions:
            return versions[tag]
    return next(iter(versions.values()), None)


def context(data: dict[str, Any], reader: ReaderView | User | None,
            declared: dict[str, Any] | None) -> dict[str, Any]:
    """What a text renders with: the send's data over the template's declared defaults, and
    ``reader`` (the reader's own fields, a declared default where one is unknown)."""
    data_defaults, reader_defaults = variables.defaults(declared)
    known = {} if reader is None else {
        "id": reader.external_id, "name": reader.name, "locale": reader.locale,
        "timezone": reader.timezone}
    fields = {**reader_defaults, **{k: v for k, v in known.items() if v is not None}}
    return {**data_defaults, **data, variables.READER: fields}


def per_reader(content: dict[str, str] | None, versions: dict[str, Template] | None) -> bool:
    """Whether the in-app text reads ``reader``: then it renders per reader, not once per
    language and time zone."""
    texts = [(content or {}).get("title"), (content or {}).get("body")]
    for version in (versions or {}).values():
        texts += [version.title, version.body]
    return variables.uses_reader(texts)


def fallback(title: str, body: str, template_key: str | None) -> tuple[str, str]:
    """What a reader sees when a text cannot render: its plain words, never its syntax."""
    return plain_text(title) or template_key or "", plain_text(body)


def in_app(content: dict[str, str] | None, template_key: str | None, data: dict[str, Any],
           locale_override: str | None, reader: ReaderView, tenant_locale: str,
           versions: dict[str, Template] | None, skip: str | None = None,
           seconds: float | None = None) -> Rendered:
    """Title and body for the inbox and socket, rendered within ``seconds`` (default: the
    process's budget); a render error (or ``skip``, the reason not to render at all) falls
    back to the text's plain words, the reason recorded and counted."""
    chain = negotiation_chain(locale_override, reader.locale, tenant_locale)
    timezone = reader.timezone or "UTC"
    template = choose(versions, chain) if versions else None
    locale = template.locale if template else chain[0]
    if template:
        title, body = template.title, template.body
    else:
        title, body = (content or {})["title"], (content or {}).get("body", "")
    template_id = template.id if template else None
    if skip:
        metrics.RENDER_FALLBACKS.labels(reason="skipped").inc()
        return Rendered(*fallback(title, body, template_key), locale, template_id,
                        f"render skipped: {skip}")
    # Plain text runs nothing: no budget (nor its alarm) to arm.
    plain = is_plain(title) and is_plain(body)
    values = context(data, reader, template.variables if template else None)
    try:
        with nullcontext() if plain else budget(seconds):  # title and body share one budget
            return Rendered(render(title, values, locale, timezone),
                            render(body, values, locale, timezone), locale, template_id)
    except RenderError as exc:
        overran = isinstance(exc, Overrun)
        metrics.RENDER_FALLBACKS.labels(reason="overrun" if overran else "error").inc()
        return Rendered(*fallback(title, body, template_key), locale, template_id,
                        f"render failed: {exc}", overran=overran)


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str
    html: str


def _html_page(inner: str, locale: str) -> str:
    direction = "rtl" if is_rtl(locale) else "ltr"
    return (f'<!doctype html><html lang="{locale}" dir="{direction}"><body '
            f'dir="{direction}">{inner}</body></html>')


def email(session: Session, n: Notification, reader: User) -> EmailText:
    """The email variant of a notification, from the template version it was sent with."""
    locale, timezone = n.locale or "en", reader.timezone or "UTC"
    template = session.get(Template, n.template_id) if n.template_id else None
    if template and template.email_html:
        values = context(n.data, reader, template.variables)
        try:
            with budget():
                subject = render(template.email_subject or template.title, values, locale,
                                 timezone)
                inner = render(template.email_html, values, locale, timezone, html=True)
                text = render(template.email_text or template.body, values, locale, timezone)
            return EmailText(subject, text, _html_page(inner, locale))
        except RenderError:
            # The in-app text was rendered (or fell back) when it was stored.
            metrics.RENDER_FALLBACKS.labels(reason="email").inc()
    inner = (f"<h1>{html.escape(n.title)}</h1>"
             f"<p>{html.escape(n.body).replace(chr(10), '<br>')}</p>")
    return EmailText(n.title, n.body, _html_page(inner, locale))


def slack(session: Session, n: Notification, reader: User) -> str:
    template = session.get(Template, n.template_id) if n.template_id else None
    if template and template.slack_text:
        try:
            return render(template.slack_text, context(n.data, reader, template.variables),
                          n.locale or "en", reader.timezone or "UTC")
        except RenderError:
            metrics.RENDER_FALLBACKS.labels(reason="slack").inc()  # the stored text instead
    return f"*{n.title}*\n{n.body}".strip()
