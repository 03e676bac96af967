"""Email over SMTP: ``smtp://host:port``, ``smtp+starttls://user:pass@host:port``, ``smtps://``."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from backend.channels.base import NoAddress, PermanentError, TransientError
from backend.db.models import Notification, User
from backend.templates import compose


@dataclass(frozen=True)
class Email:
    to: str | None
    subject: str
    text: str
    html: str
    message_id: str  # from the notification id: a resend is recognisably the same message


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise PermanentError(f"unsupported HERALD_SMTP_URL scheme {parts.scheme!r}")
    host, port = parts.hostname or "localhost", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port or 465, timeout=15,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port or 25, timeout=15)
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def one_line(text: str) -> str:
    """A header value from text an end user may have written: line breaks would start new
    headers (``Bcc:``), so every run of whitespace becomes one space."""
    return " ".join(text.split())


def build(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, email.to
    message["Subject"] = one_line(email.subject)
    message["Message-ID"] = email.message_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def send(smtp_url: str | None, sender: str, email: Email) -> None:
    if not email.to:
        raise NoAddress("reader has no email address")
    if not smtp_url:
        raise PermanentError("HERALD_SMTP_URL is not set")
    try:
        with _smtp(smtp_url) as client:
            client.send_message(build(email, sender))
    except smtplib.SMTPResponseException as exc:
        message = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            raise TransientError(message) from exc
        raise PermanentError(message) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise TransientError(f"SMTP recipients refused: {exc.recipients}") from exc
        raise PermanentError(f"SMTP recipients refused: {exc.recipients}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"SMTP unavailable: {exc}") from exc


class EmailChannel:
    name = "email"

    def __init__(self, smtp_url: str | None, sender: str) -> None:
        self.smtp_url, self.sender = smtp_url, sender

    def compose(self, session: Session, n: Notification, reader: User) -> Email:
        text = compose.email(session, n, reader)
        return Email(to=reader.email, subject=text.subject, text=text.text, html=text.html,
                     message_id=f"<{n.id}@herald>")

    def send(self, message: Email) -> None:
        send(self.smtp_url, self.sender, message)
