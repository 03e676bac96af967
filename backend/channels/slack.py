"""Slack incoming webhooks: posted to the checked, pinned address under one overall deadline,
the answer judged by its status alone (its body is never read, stored or shown)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.channels.base import NoAddress
from backend.channels.webhooks import WebhookPolicy, judge, post_for
from backend.db.models import Notification, User
from backend.templates import compose

# httpx logs every request's URL at INFO, and a webhook URL is a secret.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


def send(webhook_url: str | None, text: str, policy: WebhookPolicy) -> None:
    if not webhook_url:
        raise NoAddress("reader has no slack_webhook_url")
    judge("slack", post_for("slack", policy, webhook_url, json.dumps({"text": text}).encode()))


@dataclass(frozen=True)
class SlackMessage:
    webhook_url: str | None
    text: str


class SlackChannel:
    name = "slack"

    def __init__(self, policy: WebhookPolicy) -> None:
        self.policy = policy

    def compose(self, session: Session, n: Notification, reader: User) -> SlackMessage:
        return SlackMessage(reader.slack_webhook_url, compose.slack(session, n, reader))

    def send(self, message: SlackMessage) -> None:
        send(message.webhook_url, message.text, self.policy)
