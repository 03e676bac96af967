"""Dependencies shared by the service API's routes, all from what the lifespan built."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

import redis
from fastapi import Depends, Header, Path, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.channels.webhooks import WebhookPolicy
from backend.core.config import Settings
from backend.core.errors import Unauthorized
from backend.core.redis import connect
from backend.core.validation import USER_ID_MAX_LENGTH, USER_ID_PATTERN
from backend.db.models import Tenant
from backend.db.session import Database
from backend.notifications.limits import RequestLimits
from backend.notifications.stream import Ingest
from backend.templates.budget import Budget, render_budget
from backend.tenants.accounts import KeyCache, tenant_for_key
from backend.tenants.quota import Quota


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: redis.Redis
    quota: Quota
    limits: RequestLimits
    render_budget: Budget
    webhooks: WebhookPolicy
    events: WebhookPolicy  # where delivery webhooks may point
    tenants: KeyCache[Tenant] = field(default_factory=KeyCache)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        redis_url, database_url = settings.require_urls()
        return cls(settings, Database(database_url), connect(redis_url), Quota(settings),
                   RequestLimits.of(settings), render_budget(settings),
                   WebhookPolicy.of(settings), WebhookPolicy.for_events(settings))

    @cached_property
    def ingest(self) -> Ingest:
        return Ingest.of(self.redis, self.settings)

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.db.session() as session:
        yield session


def get_redis(services: ServicesDep) -> redis.Redis:
    return services.redis


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


# scope="function": the transaction commits before the response leaves, so a 2xx means the
# write is durable and the very next request sees it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_tenant(
    session: SessionDep, services: ServicesDep,
    x_api_key: Annotated[str | None, Header(description="The tenant's secret key")] = None,
) -> Tenant:
    if not x_api_key:
        raise Unauthorized("missing X-API-Key header")
    if (cached := services.tenants.get(x_api_key)) is not None:
        return cached
    try:
        tenant = tenant_for_key(session, x_api_key, "secret")
    except OperationalError:
        # PostgreSQL is away: a key that was valid moments ago still sends into the stream.
        if (known := services.tenants.get(x_api_key, stale=True)) is not None:
            session.rollback()
            return known
        raise
    if tenant is None:
        if x_api_key.startswith("pk_"):
            raise Unauthorized("this is a publishable key (pk_…), for browsers: the service "
                               "API takes the tenant's secret key (sk_…)")
        raise Unauthorized("invalid API key")
    session.expunge(tenant)
    return services.tenants.put(x_api_key, tenant)


TenantDep = Annotated[Tenant, Depends(current_tenant)]

# A reader's id in a path, by the same rule as ``UserId`` in bodies.
UserIdPath = Path(min_length=1, max_length=USER_ID_MAX_LENGTH, pattern=USER_ID_PATTERN)
