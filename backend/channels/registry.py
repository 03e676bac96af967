"""The fallback channels a worker can send through, built from its settings."""

from __future__ import annotations

from backend.channels.base import Channel
from backend.channels.email import Deadlines, EmailChannel
from backend.channels.slack import SlackChannel
from backend.channels.webhooks import WebhookPolicy
from backend.core.config import Settings


def fallback_channels(settings: Settings) -> dict[str, Channel]:
    """By channel name; adding a channel is one class with ``compose`` and ``send``, here."""
    channels: list[Channel] = [SlackChannel(WebhookPolicy.of(settings)),
                               EmailChannel(settings.smtp_url, settings.email_from, Deadlines(
                                   settings.smtp_timeout_seconds,
                                   settings.smtp_send_timeout_seconds))]
    return {channel.name: channel for channel in channels}
