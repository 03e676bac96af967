"""Accepting a send request: now (into the ingest stream) or later (a scheduled row)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend.core import metrics, tracing
from backend.core.errors import InvalidInput, NotFound
from backend.core.logs import journey
from backend.db.models import ScheduledSend
from backend.notifications import stream, topics
from backend.notifications.lifecycle import Status
from backend.notifications.messages import StreamEntry, new_id
from backend.notifications.schemas import NotificationAccepted, NotificationCreate
from backend.templates import versions

logger = logging.getLogger(__name__)


def build_entries(tenant_id: uuid.UUID, body: NotificationCreate,
                  status: Status = Status.ACCEPTED) -> tuple[list[StreamEntry], dict[str, Any]]:
    """The stream entries for a request (one per recipient) and the API's answer to it."""
    ids = [new_id() for _ in body.recipients]
    group_id = ids[0] if len(ids) == 1 else new_id()
    created_at, traceparent = datetime.now(UTC).isoformat(), tracing.current()
    common = body.model_dump(mode="json",
                             exclude={"recipients", "topic", "idempotency_key", "send_at"})
    entries = [
        StreamEntry(**common, id=str(nid), group_id=str(group_id), tenant_id=str(tenant_id),
                    recipient=recipient, idempotency_key=body.idempotency_key,
                    created_at=created_at, traceparent=traceparent)
        for nid, recipient in zip(ids, body.recipients, strict=True)
    ]
    answer = NotificationAccepted(
        id=group_id, status=status,
        notifications=[{"id": e.id, "recipient": e.recipient} for e in entries],
    ).model_dump(mode="json", exclude_none=True)  # a topic's fields only on a topic send
    return entries, answer


def _schedule(session: Session, ingest: stream.Ingest, tenant_id: uuid.UUID,
              body: NotificationCreate) -> dict[str, Any]:
    entries, answer = build_entries(tenant_id, body, status=Status.SCHEDULED)
    # Nothing goes to the stream now, but the key is claimed as an immediate request's is:
    # a key already used answers its first answer (finishing that request if it was cut off).
    created, answer = ingest.enqueue(str(tenant_id), [], answer, body.idempotency_key)
    if answer["status"] != Status.SCHEDULED:
        return answer  # the key's first request was for now: it went to the stream
    if not created:
        # The key is sealed before the row commits: a first request whose commit failed left
        # the key and no row, so the retry writes the row under the first answer's ids.
        entries = _as_answered(entries[0], answer)
    session.execute(insert(ScheduledSend).values(
        id=uuid.UUID(answer["id"]), tenant_id=tenant_id, entries=[e.to_dict() for e in entries],
        answer={**answer, "status": Status.ACCEPTED}, due_at=body.send_at,
    ).on_conflict_do_nothing(index_elements=["id"]))
    return answer


def _as_answered(like: StreamEntry, answer: dict[str, Any]) -> list[StreamEntry]:
    """The entries an answer promised, with the content of ``like``."""
    return [replace(like, id=n["id"], group_id=answer["id"], recipient=n["recipient"])
            for n in answer["notifications"]]


def refuse_past(body: NotificationCreate, grace: timedelta, loc: Sequence[str | int]) -> None:
    """A ``send_at`` in the past is a mistake (a clock, a time zone), not "send now": refused,
    unless within ``grace`` (a request that took a moment to arrive)."""
    if body.send_at is not None and body.send_at < datetime.now(UTC) - grace:
        raise InvalidInput(
            f"send_at {body.send_at.isoformat()} is in the past: give a future time (one "
            f"within {grace.total_seconds():g} s of now is sent at once; "
            "HERALD_SEND_AT_GRACE_SECONDS)", (*loc, "send_at"))


def check(session: Session, tenant_id: uuid.UUID, body: NotificationCreate,
          loc: Sequence[str | int] = ("body",)) -> int:
    """What the schema cannot know: the template and the topic must exist for this tenant,
    and every variable the text refers to must have a value (a reader never sees template
    syntax). Returns how many notifications a topic send makes (its subscribers now)."""
    if body.template:
        versions.check_send(session, tenant_id, body.template, body.data, loc)
    elif body.content is not None:
        versions.check_content(body.content.title, body.content.body, body.data, loc)
    if body.topic is None:
        return 0
    try:
        return topics.size(session, tenant_id, body.topic)
    except NotFound as exc:
        raise InvalidInput(f"topic {body.topic!r} does not exist (PUT /v1/topics/{{key}})",
                           (*loc, "topic")) from exc


def accept(session: Session, ingest: stream.Ingest, tenant_id: uuid.UUID,
           body: NotificationCreate) -> dict[str, Any]:
    """Durably accept one request (``check``ed); the same idempotency key answers the first
    answer again."""
    return accept_many(session, ingest, tenant_id, [body])[0]


def accept_many(session: Session, ingest: stream.Ingest, tenant_id: uuid.UUID,
                bodies: list[NotificationCreate]) -> list[dict[str, Any]]:
    """Accept several requests (``check``ed), one answer each in order; those for now are
    written to the stream together."""
    answers: list[dict[str, Any] | None] = []
    now: list[tuple[int, NotificationCreate, stream.Request]] = []
    for body in bodies:
        if body.topic is not None:
            answers.append(topics.accept_send(session, tenant_id, body))
        elif body.send_at is not None and body.send_at > datetime.now(UTC):
            answers.append(_schedule(session, ingest, tenant_id, body))
        else:
            entries, answer = build_entries(tenant_id, body)
            now.append((len(answers), body, stream.Request(str(tenant_id), entries, answer,
                                                           body.idempotency_key)))
            answers.append(None)
    outcomes = ingest.enqueue_many([request for _, _, request in now])
    for (at, body, request), (created, answer) in zip(now, outcomes, strict=True):
        answers[at] = answer
        if created:
            metrics.ACCEPTED.labels(priority=body.priority).inc(len(request.entries))
            journey(logger, "accepted", ((str(tenant_id), e.id) for e in request.entries),
                    priority=body.priority)
    return cast(list[dict[str, Any]], answers)
