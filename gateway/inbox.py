"""The reader's REST inbox, for pages that load history or cannot hold a socket."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.channels.webhooks import RefusedWebhook, WebhookPolicy
from backend.core.errors import InvalidInput, NotFound, TooManyRequests
from backend.db.models import User
from backend.notifications import inbox, push_subscriptions
from backend.notifications.schemas import (
    PreferencesUpdate,
    PushRemoved,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushSubscriptions,
)
from gateway.auth import AuthError, Reader
from gateway.node import Node, node_of
from gateway.states import change

router = APIRouter(prefix="/v1/me", tags=["inbox"])
NodeDep = Annotated[Node, Depends(node_of)]


async def current_reader(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <reader JWT>")] = None,
    x_api_key: Annotated[str | None, Header(description="publishable key")] = None,
    api_key: Annotated[str | None, Query(description="publishable key")] = None,
) -> Reader:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing Authorization: Bearer <token>")
    node = node_of(request)
    _, reader = await node.auth.authenticate(x_api_key or api_key, token)
    if (wait := node.inbox_rate.retry_after(reader.key)) is not None:
        raise TooManyRequests(
            f"too many inbox requests for this reader: "
            f"{node.settings.inbox_requests_per_second:g} a second "
            "(HERALD_INBOX_REQUESTS_PER_SECOND); the socket tells changes as they happen",
            retry_after=wait)
    return reader


ReaderDep = Annotated[Reader, Depends(current_reader)]


class InboxItem(BaseModel):
    id: str
    seq: int
    title: str
    body: str
    category: str | None
    priority: str
    data: dict[str, Any]
    created_at: str
    read: bool
    seen: bool
    archived: bool
    snoozed_until: str | None
    change: int


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_before: int | None


class UnreadCount(BaseModel):
    count: int


class Counts(BaseModel):
    unseen: int
    unread: int
    archived: int


@router.get("/notifications")
async def list_notifications(
    reader: ReaderDep, node: NodeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, description="seq cursor: older items")] = None,
    state: Annotated[inbox.State, Query(description=(
        "inbox (default: not archived, snoozed or retracted), unseen, unread, archived, all"
    ))] = "inbox",
    unread: Annotated[bool, Query(description="the same as state=unread")] = False,
) -> InboxPage:
    """The reader's notifications, newest first; pass ``next_before`` to get the next page."""
    rows = await node.blocking.read(inbox.page, reader.row_id, limit, before,
                                    "unread" if unread else state)
    items = [InboxItem(**inbox.frame(n)) for n in rows]
    return InboxPage(items=items, next_before=items[-1].seq if len(items) == limit else None)


@router.get("/unread-count")
async def unread_count(reader: ReaderDep, node: NodeDep) -> UnreadCount:
    """How many of the reader's notifications are unread."""
    return UnreadCount(count=await node.blocking.read(inbox.unread_count, reader.row_id))


@router.get("/counts")
async def counts(reader: ReaderDep, node: NodeDep) -> Counts:
    """Unseen (the badge), unread, and archived notifications of the reader."""
    found = await node.blocking.read(inbox.counts, reader.row_id)
    return Counts(unseen=found.unseen, unread=found.unread, archived=found.archived)


@router.post("/notifications/{notification_id}/read")
async def read_one(notification_id: uuid.UUID, reader: ReaderDep, node: NodeDep
                   ) -> UnreadCount:
    """Mark one notification read; answers the new unread count."""
    if not await node.blocking.read(inbox.owned_by, reader.row_id, notification_id):
        raise NotFound(f"notification {notification_id} not found")
    found = await change(node, reader, "read", [notification_id])
    return UnreadCount(count=found["unread"])


@router.post("/notifications/read-all")
async def read_all(reader: ReaderDep, node: NodeDep) -> UnreadCount:
    """Mark every notification of the reader read."""
    found = await change(node, reader, "read", None)
    return UnreadCount(count=found["unread"])


def _get_preferences(session: Session, reader_row_id: int) -> dict[str, Any]:
    return session.get_one(User, reader_row_id).preferences or {}


def _set_preferences(session: Session, reader_row_id: int, preferences: dict[str, Any]) -> None:
    session.get_one(User, reader_row_id).preferences = preferences


@router.get("/preferences")
async def get_preferences(reader: ReaderDep, node: NodeDep) -> PreferencesUpdate:
    """The reader's own preferences."""
    stored = await node.blocking.read(_get_preferences, reader.row_id)
    return PreferencesUpdate.model_validate(stored)


@router.put("/preferences")
async def put_preferences(body: PreferencesUpdate, reader: ReaderDep, node: NodeDep
                          ) -> PreferencesUpdate:
    """Replace the reader's preferences (required categories still reach them)."""
    await node.blocking.in_session(_set_preferences, reader.row_id, body.model_dump(mode="json"))
    return body


def _stored_subscription(session: Session, reader: Reader, body: PushSubscriptionIn
                         ) -> PushSubscriptions:
    """Stored, and the reader's browsers as they are now: one session, one thread hand-off."""
    push_subscriptions.store(session, reader.row_id, body.endpoint, body.keys.p256dh,
                             body.keys.auth)
    return _subscriptions(session, reader)


def _subscriptions(session: Session, reader: Reader) -> PushSubscriptions:
    return PushSubscriptions(
        public_key=push_subscriptions.public_key(session, reader.tenant_id),
        subscriptions=[PushSubscriptionOut(**s)
                       for s in push_subscriptions.listing(session, reader.row_id)])


@router.get("/push-subscriptions")
async def list_push_subscriptions(reader: ReaderDep, node: NodeDep) -> PushSubscriptions:
    """The reader's browsers that take Web Push, and the key to subscribe another with."""
    return await node.blocking.in_session(_subscriptions, reader)


@router.post("/push-subscriptions", status_code=201)
async def add_push_subscription(body: PushSubscriptionIn, reader: ReaderDep, node: NodeDep
                                ) -> PushSubscriptions:
    """Store this browser's ``PushSubscription`` (``subscribePush()`` in herald.js does)."""
    try:
        WebhookPolicy.for_events(node.settings).check_url(body.endpoint)
    except RefusedWebhook as exc:
        raise InvalidInput(f"push endpoint refused: {exc}", ("body", "endpoint")) from exc
    return await node.blocking.in_session(_stored_subscription, reader, body)


@router.delete("/push-subscriptions")
async def remove_push_subscriptions(
    reader: ReaderDep, node: NodeDep,
    endpoint: Annotated[str | None, Query(max_length=2000, description=(
        "the subscription to remove; all of the reader's when left out"))] = None,
) -> PushRemoved:
    """Stop Web Push to one browser (``unsubscribePush()``), or to all of them."""
    removed = await node.blocking.in_session(push_subscriptions.remove, reader.row_id, endpoint)
    return PushRemoved(removed=removed)
