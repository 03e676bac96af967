"""Slack incoming webhooks."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from backend.channels.base import NoAddress, PermanentError, TransientError
from backend.db.models import Notification, User
from backend.templates import compose


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def send(webhook_url: str | None, text: str) -> None:
    if not webhook_url:
        raise NoAddress("reader has no slack_webhook_url")
    try:
        response = httpx.post(webhook_url, json={"text": text}, timeout=10.0)
    except httpx.TransportError as exc:
        raise TransientError(f"slack unreachable: {exc}") from exc
    if response.status_code == 429:
        raise TransientError("slack rate limited (429)", _retry_after(response))
    if response.status_code >= 500:
        raise TransientError(f"slack answered {response.status_code}")
    if response.status_code >= 400:
        raise PermanentError(f"slack answered {response.status_code}: {response.text[:200]}")


@dataclass(frozen=True)
class SlackMessage:
    webhook_url: str | None
    text: str


class SlackChannel:
    name = "slack"

    def compose(self, session: Session, n: Notification, reader: User) -> SlackMessage:
        return SlackMessage(reader.slack_webhook_url, compose.slack(session, n, reader))

    def send(self, message: SlackMessage) -> None:
        send(message.webhook_url, message.text)
