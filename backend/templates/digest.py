"""The digest email's text: Herald's own strings, in the reader's language."""

from __future__ import annotations

import html

from backend.templates.i18n import gettext, is_rtl, ngettext


def compose_digest(locale: str, titles: list[str]) -> tuple[str, str, str]:
    """Subject, text and HTML of a digest, with Herald's own strings translated."""
    subject = ngettext(locale, "You have %(num)d unread notification",
                       "You have %(num)d unread notifications", len(titles))
    heading = gettext(locale, "Your notifications")
    footer = gettext(locale, "Open your inbox to read them.")
    text = "\n".join([heading, "", *(f"- {t}" for t in titles), "", footer])
    direction = "rtl" if is_rtl(locale) else "ltr"
    items = "".join(f"<li>{html.escape(t)}</li>" for t in titles)
    body = (f'<!doctype html><html lang="{locale}" dir="{direction}"><body dir="{direction}">'
            f"<h1>{html.escape(heading)}</h1><ul>{items}</ul><p>{html.escape(footer)}</p>"
            "</body></html>")
    return subject, text, body
