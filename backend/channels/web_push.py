"""Web Push: the browser's own notification on a reader's devices while no tab is open.

Speaks the standard with no vendor between: each payload is encrypted for its subscription
(RFC 8291, aes128gcm, through pywebpush and http-ece), signed with the tenant's VAPID key
(RFC 8292, py-vapid) and POSTed to the push service (RFC 8030) at the checked, pinned address
under one deadline, as webhooks are. A subscription its push service says is gone (404, 410)
is forgotten; 429 waits as told; 413 and other 4xx end the step.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from py_vapid import Vapid02
from pywebpush import WebPusher
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.channels.base import NoAddress, PermanentError, TransientError
from backend.channels.webhooks import WebhookPolicy, judge, post_for
from backend.db.models import Notification, PushSubscription, Tenant, User
from backend.tenants import vapid

logger = logging.getLogger(__name__)

# Push services take 4,096 bytes of encrypted payload: aes128gcm's header (86 bytes), its
# padding delimiter (1) and tag (16) leave this much for the JSON.
MAX_PLAINTEXT = 4096 - 86 - 1 - 16
TTL_SECONDS = 24 * 3600  # a push service keeps it this long for a device that is off
ELLIPSIS = "…"
GONE = (404, 410)
SERVICE = "the push service"  # as the errors name it


def payload(n: Notification, url: str | None) -> bytes:
    """What the service worker shows: title and body as the reader's inbox has them (in the
    reader's language), the id (its ``tag``, so a later push replaces it) and where a click
    goes. Cut to fit a push, body first, never inside a character."""
    fields: dict[str, Any] = {"id": str(n.id), "title": n.title, "body": n.body, "url": url}
    for key in ("body", "title"):
        encoded = _encoded(fields)
        if len(encoded) <= MAX_PLAINTEXT:
            return encoded
        fields[key] = _shortened(fields[key], len(encoded) - MAX_PLAINTEXT)
    if len(encoded := _encoded(fields)) > MAX_PLAINTEXT:
        fields["url"] = None  # a cut URL leads nowhere: the page opens at its default
        encoded = _encoded(fields)
    return encoded


def _encoded(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


def _shortened(text: str, excess: int) -> str:
    """The longest start of ``text`` whose JSON is at least ``excess`` bytes shorter, with
    an ellipsis (found by bisection: a body may be 256 KiB)."""
    budget = _json_size(text) - excess - len(ELLIPSIS.encode())
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _json_size(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Subscription:
    id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class PushMessage:
    subscriptions: list[Subscription]
    payload: bytes
    private_pem: str
    urgency: str


class WebPushChannel:
    name = "web_push"

    def __init__(self, policy: WebhookPolicy, contact: str,
                 forget: Callable[[list[int]], None]) -> None:
        self.policy = policy
        self.contact = contact  # the VAPID "sub": whom a push service may write to
        self.forget = forget  # deletes subscriptions their push service says are gone

    def compose(self, session: Session, n: Notification, reader: User) -> PushMessage:
        found = session.scalars(select(PushSubscription).where(
            PushSubscription.reader_id == reader.id).order_by(PushSubscription.id)).all()
        tenant = session.get_one(Tenant, n.tenant_id)
        keys = vapid.keys_of(session, n.tenant_id)
        url = (n.data or {}).get("url")
        return PushMessage(
            [Subscription(s.id, s.endpoint, s.p256dh, s.auth) for s in found],
            payload(n, url if isinstance(url, str) and url else tenant.push_default_url),
            keys.private_pem,
            "high" if n.priority == "high" else "normal")

    def send(self, message: PushMessage) -> None:
        if not message.subscriptions:
            raise NoAddress("reader has no push subscription")
        sent, gone, later, refused = 0, [], [], []
        for subscription in message.subscriptions:
            try:
                self._push(message, subscription)
                sent += 1
            except _Gone:
                gone.append(subscription.id)
            except TransientError as exc:
                later.append(exc)
            except PermanentError as exc:
                refused.append(exc)
        if gone:
            self.forget(gone)
        if sent:
            return  # on at least one device; the others' faults do not undo it
        if later:
            raise TransientError(str(later[0]), max((e.retry_after or 0 for e in later),
                                                    default=0) or None)
        if refused:
            raise PermanentError(str(refused[0]))
        raise NoAddress("every push subscription of the reader is gone")

    def _push(self, message: PushMessage, subscription: Subscription) -> None:
        pusher = WebPusher({"endpoint": subscription.endpoint,
                            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
        body = pusher.encode(message.payload, "aes128gcm")["body"]
        parts = urlsplit(subscription.endpoint)
        claims = {"sub": self.contact, "aud": f"{parts.scheme}://{parts.netloc}",
                  "exp": int(time.time()) + 12 * 3600}
        headers = {**Vapid02.from_pem(message.private_pem.encode()).sign(claims),
                   "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                   "TTL": str(TTL_SECONDS), "Urgency": message.urgency}
        answer = post_for(SERVICE, self.policy, subscription.endpoint, body, headers)
        if answer.status in GONE:
            raise _Gone(f"{SERVICE} answered {answer.status} {answer.reason}".strip())
        judge(SERVICE, answer)


class _Gone(PermanentError):
    """The subscription no longer exists (the browser unsubscribed or was reset)."""


def contact_of(push_contact: str | None, email_from: str) -> str:
    """The VAPID ``sub`` claim: the setting, or the address Herald's email comes from."""
    if push_contact:
        return push_contact
    address = parseaddr(email_from)[1]
    return f"mailto:{address}" if address else "mailto:herald@localhost"
