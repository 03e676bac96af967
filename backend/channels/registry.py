"""The fallback channels a worker can send through, built from its settings."""

from __future__ import annotations

from collections.abc import Callable

from backend.channels.base import Channel
from backend.channels.email import Deadlines, EmailChannel
from backend.channels.slack import SlackChannel
from backend.channels.web_push import WebPushChannel, contact_of
from backend.channels.webhooks import WebhookPolicy
from backend.core.config import Settings


def fallback_channels(settings: Settings, forget_push: Callable[[list[int]], None]
                      ) -> dict[str, Channel]:
    """By channel name; adding a channel is one class with ``compose`` and ``send``, here.
    ``forget_push`` deletes push subscriptions whose push service says they are gone."""
    channels: list[Channel] = [SlackChannel(WebhookPolicy.of(settings)),
                               WebPushChannel(WebhookPolicy.for_events(settings),
                                              contact_of(settings.push_contact,
                                                         settings.email_from), forget_push),
                               EmailChannel(settings.smtp_url, settings.email_from, Deadlines(
                                   settings.smtp_timeout_seconds,
                                   settings.smtp_send_timeout_seconds))]
    return {channel.name: channel for channel in channels}
