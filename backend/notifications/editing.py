"""Editing and retracting what was sent: one reader's notification, or a whole send.

An edit renders again per reader (their locale and time zone, once per distinct pair), a
retraction leaves a tombstone and stops any retry or fallback still to come. Both go through
``changes``, so every tab sees them live and a reconnecting one on replay.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.core.errors import InvalidInput, NotFound, NotYet
from backend.db.models import Notification, Template, Tenant, User
from backend.notifications import changes, deliveries, fanout, stream
from backend.notifications.lifecycle import by_ids
from backend.notifications.schemas import NotificationEdit
from backend.templates import compose
from backend.templates import versions as templates
from backend.templates.render import budget


def _stored(session: Session, client: redis.Redis, tenant_id: uuid.UUID, nid: uuid.UUID
            ) -> list[Notification]:
    """The notification ``nid``, or every notification of the send ``nid``, not retracted."""
    send = fanout.send_of(session, tenant_id, nid)
    if send is not None and send.done_at is None:
        raise NotYet(f"send {nid} is still being fanned out to its topic; try again shortly")
    rows = list(session.scalars(select(Notification).where(
        Notification.tenant_id == tenant_id,
        or_(Notification.id == nid, Notification.group_id == nid))))
    if not rows and stream.accepted_tenant(client, str(nid)) == str(tenant_id):
        raise NotYet(f"notification {nid} is on its way to storage; try again shortly")
    live = [r for r in rows if r.deleted_at is None]
    if not live:
        raise NotFound(f"notification {nid} not found" + (" (retracted)" if rows else ""))
    return live


def _rendering(edit: NotificationEdit, row: Notification) -> tuple[str | None, bool]:
    """Which template renders the new text (None: the content), and whether to render."""
    if edit.content is not None:
        return None, True
    key = edit.template or row.template
    return key, key is not None


def _rendered(tenant: Tenant, edit: NotificationEdit, key: str | None, data: dict[str, Any],
              override: str | None, reader: User, found: dict[str, Template] | None
              ) -> dict[str, Any]:
    done = compose.in_app(edit.content.model_dump() if edit.content else None, key, data,
                          override, reader, tenant.default_locale, found)
    if done.error is not None:  # checked at the door: a reader never gets the fallback text
        raise InvalidInput(f"the new text cannot be rendered: {done.error}; nothing was "
                           "changed", ("body",))
    return {"data": data, "title": done.title, "body": done.body, "template": key,
            "template_id": done.template_id, "locale": done.locale}


def _check(session: Session, tenant: Tenant, edit: NotificationEdit, key: str | None,
           data: dict[str, Any]) -> None:
    """The new text renders with its data for every reader, or the edit is refused whole."""
    if edit.content is not None:
        templates.check_content(edit.content.title, edit.content.body, data, ("body",))
    elif key is not None:
        templates.check_send(session, tenant.id, key, data, ("body",))


def _new_values(session: Session, tenant: Tenant, edit: NotificationEdit,
                rows: list[Notification]) -> list[tuple[dict[str, Any], list[uuid.UUID]]]:
    """The values rows take, each with the rows taking them: a text is rendered once per
    template, locale, time zone and data (a reader's data may differ after an edit of
    theirs alone)."""
    readers = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({r.reader_id for r in rows})))}
    versions: dict[str, dict[str, Template]] = {}
    groups: dict[str, tuple[dict[str, Any], list[uuid.UUID]]] = {}
    checked: set[str] = set()  # (template, data) already known to render
    content = edit.content.model_dump() if edit.content else None
    for row in rows:
        data = row.data if edit.data is None else edit.data
        key, render = _rendering(edit, row)
        reader = readers[row.reader_id]
        override = row.locale if key is None else None
        if key is not None and key not in versions:
            versions[key] = compose.latest_versions(session, tenant.id, key)
        found = versions[key] if key else None
        who = reader.id if render and compose.per_reader(content, found) else None
        cause = json.dumps([key, override, reader.locale, reader.timezone, who, data]
                           if render else [data], sort_keys=True, default=str)
        if cause not in groups:
            needs = json.dumps([key, data], sort_keys=True, default=str)
            if render and needs not in checked:  # once per text and data, not per zone
                _check(session, tenant, edit, key, data)
                checked.add(needs)
            groups[cause] = (_rendered(tenant, edit, key, data, override, reader, found)
                             if render else {"data": data}, [])
        groups[cause][1].append(row.id)
    return list(groups.values())


def edit(session: Session, client: redis.Redis, tenant: Tenant, nid: uuid.UUID,
         request: NotificationEdit) -> list[Notification]:
    """Change text or data of a notification or a whole send; returns the rows as changed."""
    rows = _stored(session, client, tenant.id, nid)
    now, changed = datetime.now(UTC), []
    # Every render of one edit (one per language and time zone of its readers) shares one
    # render budget: a costly template is refused in a second, not run forty times.
    with budget():
        values = _new_values(session, tenant, request, rows)
    for new, ids in values:
        changed += changes.apply(session, [by_ids(ids)], edited_at=now, **new)
    return changed


def retract(session: Session, client: redis.Redis, tenant_id: uuid.UUID, nid: uuid.UUID
            ) -> list[Notification]:
    """Withdraw a notification or a whole send from every inbox; nothing more is sent."""
    ids = [r.id for r in _stored(session, client, tenant_id, nid)]
    deliveries.finish(session, ids)
    return changes.apply(session, [by_ids(ids)], deleted_at=datetime.now(UTC))
