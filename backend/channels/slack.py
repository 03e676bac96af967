"""Slack incoming webhooks: posted to the checked, pinned address under one overall deadline,
the answer judged by its status alone (its body is never read, stored or shown)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from backend.channels.base import NoAddress, PermanentError, TransientError
from backend.channels.webhooks import RefusedWebhook, Target, WebhookPolicy
from backend.db.models import Notification, User
from backend.templates import compose

# httpx logs every request's URL at INFO, and a webhook URL is a secret.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    retry_after: float | None


async def _post(target: Target, text: str, deadline: float) -> Answer:
    async with (
        asyncio.timeout(deadline),
        httpx.AsyncClient(timeout=deadline, follow_redirects=False) as client,
        client.stream("POST", target.url, json={"text": text}, headers={"Host": target.host},
                      extensions={"sni_hostname": target.host}) as response,
    ):
        try:
            retry_after: float | None = float(response.headers["Retry-After"])
        except (KeyError, ValueError):
            retry_after = None
        return Answer(response.status_code, response.reason_phrase[:60], retry_after)


def send(webhook_url: str | None, text: str, policy: WebhookPolicy) -> None:
    if not webhook_url:
        raise NoAddress("reader has no slack_webhook_url")
    try:
        target = policy.resolve(webhook_url)
        answer = asyncio.run(_post(target, text, policy.timeout_seconds))
    except RefusedWebhook as exc:
        raise PermanentError(str(exc)) from exc
    except TimeoutError as exc:
        raise TransientError(f"slack did not answer within the {policy.timeout_seconds:g} s "
                             "deadline (HERALD_WEBHOOK_TIMEOUT_SECONDS)") from exc
    except (httpx.TransportError, OSError) as exc:
        raise TransientError(f"slack unreachable: {type(exc).__name__}") from exc
    said = f"slack answered {answer.status} {answer.reason}".strip()
    if answer.status == 429:
        raise TransientError(said, answer.retry_after)
    if answer.status >= 500:
        raise TransientError(said)
    if answer.status >= 300:
        raise PermanentError(said)


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
