"""What a worker process's tasks use, built once from its settings after the pool forks."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import redis

from backend.channels.base import Channel
from backend.channels.email import EmailChannel
from backend.channels.registry import fallback_channels
from backend.channels.webhooks import WebhookPolicy
from backend.core.config import Settings, get_settings
from backend.core.redis import connect
from backend.db.session import Database
from backend.notifications import backoff, push_subscriptions
from backend.notifications.backoff import Backoff
from backend.notifications.stream import Ingest
from backend.templates import budget
from tasks.gateway_client import GatewayClient
from tasks.outbound_slots import Slots


@dataclass
class Runtime:
    settings: Settings
    db: Database
    redis: redis.Redis
    gateway: GatewayClient
    events: WebhookPolicy  # where delivery webhooks may point
    channels: dict[str, Channel] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        redis_url, database_url = settings.require_urls()
        # No ping per session: a connection dropped by a database restart fails its task,
        # which Celery retries (``tasks.base``) on a fresh pool.
        db = Database(database_url, ping=False)

        def forget_push(ids: list[int]) -> None:
            with db.session() as session:
                push_subscriptions.forget(session, ids)

        return cls(settings, db, connect(redis_url),
                   GatewayClient(settings.push_url, settings.require_internal_key()),
                   WebhookPolicy.for_events(settings), fallback_channels(settings, forget_push))

    @cached_property
    def slots(self) -> Slots:
        """Each tenant's share of this worker's outbound sends."""
        return Slots(self.settings.outbound_per_tenant)

    @cached_property
    def ingest(self) -> Ingest:
        return Ingest.of(self.redis, self.settings)

    def in_app_backoff(self, priority: str) -> Backoff:
        return backoff.in_app(self.settings, priority)

    def fallback_backoff(self) -> Backoff:
        return backoff.fallback(self.settings)

    def events_backoff(self) -> Backoff:
        return backoff.events(self.settings)

    @property
    def email(self) -> EmailChannel:
        channel = self.channels["email"]
        assert isinstance(channel, EmailChannel)
        return channel


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """This process's runtime; made lazily, so each pool process gets its own connections."""
    settings = get_settings()
    budget.configure(budget.render_budget(settings))
    return Runtime.build(settings)
