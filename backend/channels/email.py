"""Email over SMTP: ``smtp://host:port``, ``smtp+starttls://user:pass@host:port``, ``smtps://``."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


@dataclass(frozen=True)
class Deadlines:
    """How long an SMTP server may take: each step (connect, each command's answer), and the
    whole send. A server that answers one byte at a time never trips a step's timeout; the
    whole send's deadline closes the connection under it."""

    step_seconds: float = 15.0
    send_seconds: float = 45.0


def _connect(url: str, step: float) -> smtplib.SMTP:
    """A client for ``url``, not connected yet (connecting is a step under the deadline)."""
    scheme = urlsplit(url).scheme
    if scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise PermanentError(f"unsupported HERALD_SMTP_URL scheme {scheme!r}")
    if scheme == "smtps":
        return smtplib.SMTP_SSL(timeout=step, context=ssl.create_default_context())
    return smtplib.SMTP(timeout=step)


def _open(client: smtplib.SMTP, url: str) -> None:
    parts = urlsplit(url)
    default_port = 465 if parts.scheme == "smtps" else 25
    client.connect(parts.hostname or "localhost", parts.port or default_port)
    if parts.scheme == "smtp+starttls":
        client.starttls(context=ssl.create_default_context())
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))


@contextmanager
def _within(client: smtplib.SMTP, seconds: float) -> Iterator[threading.Event]:
    """Shut the client's connection down when ``seconds`` pass: a blocked read returns at
    once with an error. Yields the event that says the deadline passed."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = getattr(client, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


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


def send(smtp_url: str | None, sender: str, email: Email,
         deadlines: Deadlines = Deadlines()) -> None:
    if not email.to:
        raise NoAddress("reader has no email address")
    if not smtp_url:
        raise PermanentError("HERALD_SMTP_URL is not set")
    client = _connect(smtp_url, deadlines.step_seconds)
    with _within(client, deadlines.send_seconds) as expired:
        try:
            _exchange(client, smtp_url, build(email, sender))
        except TransientError as exc:
            if expired.is_set():
                raise TransientError(
                    f"SMTP send took longer than {deadlines.send_seconds:g} s "
                    "(HERALD_SMTP_SEND_TIMEOUT_SECONDS); the connection was closed") from exc
            raise
        finally:
            client.close()  # never QUIT: a dripping server would hold us past the deadline


def _exchange(client: smtplib.SMTP, url: str, mail: EmailMessage) -> None:
    try:
        _open(client, url)
        client.send_message(mail)
        with suppress(OSError, smtplib.SMTPException):
            client.quit()  # polite, and within the deadline like every other step
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

    def __init__(self, smtp_url: str | None, sender: str,
                 deadlines: Deadlines = Deadlines()) -> None:
        self.smtp_url, self.sender, self.deadlines = smtp_url, sender, deadlines

    def compose(self, session: Session, n: Notification, reader: User) -> Email:
        text = compose.email(session, n, reader)
        return Email(to=reader.email, subject=text.subject, text=text.text, html=text.html,
                     message_id=f"<{n.id}@herald>")

    def send(self, message: Email) -> None:
        send(self.smtp_url, self.sender, message, self.deadlines)
