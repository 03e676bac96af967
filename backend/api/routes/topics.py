"""Topics: named lists of readers that one send reaches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from backend.api.deps import ServicesDep, SessionDep, TenantDep
from backend.notifications import topics
from backend.notifications.schemas import (
    SubscriberPage,
    SubscribersChange,
    SubscribersChanged,
    TopicPublic,
    TopicUpsert,
)

router = APIRouter(prefix="/v1/topics", tags=["topics"])
TopicPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.put("/{key}")
def put_topic(key: TopicPath, body: TopicUpsert, tenant: TenantDep, session: SessionDep,
              services: ServicesDep) -> TopicPublic:
    """Create a topic, or rename it."""
    topic = topics.upsert(session, tenant.id, key, body.name,
                          services.settings.max_topics_per_tenant)
    return TopicPublic(key=topic.key, name=topic.name, subscribers=topics.count(session, topic.id))


@router.get("/{key}")
def get_topic(key: TopicPath, tenant: TenantDep, session: SessionDep) -> TopicPublic:
    """A topic and how many readers it has."""
    topic = topics.find(session, tenant.id, key)
    return TopicPublic(key=topic.key, name=topic.name, subscribers=topics.count(session, topic.id))


@router.post("/{key}/subscribers")
def change_subscribers(key: TopicPath, body: SubscribersChange, tenant: TenantDep,
                       session: SessionDep) -> SubscribersChanged:
    """Add and remove up to 1000 readers each (user ids need not be known yet)."""
    topic = topics.find(session, tenant.id, key)
    added, removed = topics.change(session, topic, body.add, body.remove)
    return SubscribersChanged(added=added, removed=removed,
                              subscribers=topics.count(session, topic.id))


@router.get("/{key}/subscribers")
def list_subscribers(
    key: TopicPath, tenant: TenantDep, session: SessionDep,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$",
                                        description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SubscriberPage:
    """Subscribers in the order they subscribed, a page at a time."""
    topic = topics.find(session, tenant.id, key)
    items, after = topics.page(session, topic, int(cursor or 0), limit)
    return SubscriberPage(items=items, next_cursor=None if after is None else str(after))


@router.delete("/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_topic(key: TopicPath, tenant: TenantDep, session: SessionDep) -> Response:
    """Delete a topic and its subscriber list (sends already fanned out stay sent)."""
    session.delete(topics.find(session, tenant.id, key))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
