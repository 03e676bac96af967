"""Posting delivery-webhook events to the product's backend, signed; the rules are
``backend.notifications.webhook_events``."""

from __future__ import annotations

import logging
import time
import uuid

import httpx

from backend.channels.webhooks import RefusedWebhook, WebhookPolicy, post
from backend.core import metrics
from backend.notifications import webhook_events
from backend.notifications.queues import SEND_EVENTS
from tasks.app import app
from tasks.base import HeraldTask
from tasks.runtime import runtime

logger = logging.getLogger(__name__)

EVENTS_PER_TASK = 20


def _attempt(policy: WebhookPolicy, out: webhook_events.Outgoing
             ) -> webhook_events.Attempt:
    """The answer's status, or why there was none; whether another try could do better."""
    try:
        answer = post(policy, out.url, out.body, out.headers)
    except RefusedWebhook as exc:  # the address is refused: it will be next time too
        return webhook_events.Attempt(None, str(exc), permanent=True)
    except TimeoutError:
        return webhook_events.Attempt(None, f"no answer within {policy.timeout_seconds:g} s "
                                      "(HERALD_WEBHOOK_TIMEOUT_SECONDS)")
    except (httpx.TransportError, OSError) as exc:
        return webhook_events.Attempt(None, f"unreachable: {type(exc).__name__}")
    if 200 <= answer.status < 300:
        return webhook_events.Attempt(answer.status, None)
    # A 4xx says the request itself is wrong, but for "later" (408) and "slower" (429).
    permanent = 400 <= answer.status < 500 and answer.status not in (408, 429)
    return webhook_events.Attempt(answer.status, f"answered {answer.status} {answer.reason}",
                                  permanent)


@app.task(name=SEND_EVENTS, base=HeraldTask)
def send_events(event_ids: list[str]) -> int:
    """Post each event once; every attempt is recorded, failures come back after a backoff."""
    rt = runtime()
    policy, retry = rt.events, rt.events_backoff()
    delivered = 0
    for event_id in map(uuid.UUID, event_ids):
        with rt.db.session() as session:
            out = webhook_events.outgoing(session, event_id)
        if out is None:
            continue
        with rt.slots.held(str(out.tenant_id)) as free:
            if not free:
                continue  # the tenant's share is in flight: still leased, it comes back
            attempt = _attempt(policy, out)
        with rt.db.session() as session:
            webhook_events.record(session, event_id, attempt, retry)
        delivered += attempt.error is None
        metrics.WEBHOOK_EVENTS.labels(outcome="delivered" if attempt.error is None else
                                      "failed" if attempt.permanent else "retried").inc()
        if attempt.error and failures.first_in_a_while(out.url):
            logger.warning("webhook event %s: %s (failures to this endpoint are logged once "
                           "a minute; herald_webhook_events_total counts them all)",
                           event_id, attempt.error)
    return delivered


class _Once:
    """Whether a key's failure was logged within the last ``seconds``: a tenant whose
    endpoint is down does not fill the log, one line a minute per endpoint."""

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds, self.last = seconds, dict[str, float]()

    def first_in_a_while(self, key: str) -> bool:
        now = time.monotonic()
        if now - self.last.get(key, -self.seconds) < self.seconds:
            return False
        if len(self.last) > 10_000:
            self.last.clear()
        self.last[key] = now
        return True


failures = _Once()
