"""The worker's writes: persisting a batch of stream entries, and recording pushes.

Runs again safely after a crash at any point: stored ids are skipped, and the ones stored but
never pushed are pushed again.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    Table,
    Text,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend.core import tracing
from backend.db.arrays import array_text, as_arrays, rows_of, unnested
from backend.db.models import (
    DeliveryAttempt,
    Notification,
    PushSubscription,
    ReaderView,
    Template,
    Tenant,
    User,
)
from backend.notifications import deliveries, lifecycle, preferences
from backend.notifications.inbox import notification_frame
from backend.notifications.lifecycle import RENDER_STEP, Channel, Outcome, Status
from backend.notifications.messages import PushItem, StreamEntry
from backend.templates import compose
from backend.tenants.readers import lock_readers

NOTIFICATIONS = cast(Table, Notification.__table__)
ATTEMPTS = cast(Table, DeliveryAttempt.__table__)


# What a row just inserted has not had yet: no read, no state, no change.
UNCHANGED = dict.fromkeys(("read_at", "seen_at", "archived_at", "snoozed_until", "deleted_at"),
                          None) | {"change": 0}


class UnknownTenant(LookupError):
    """A stream entry names a tenant that does not exist (deleted meanwhile)."""


class _Templates:
    """Newest template versions per key, looked up once per batch."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session, self.tenant_id = session, tenant_id
        self.cache: dict[str, dict[str, Template]] = {}

    def get(self, key: str | None) -> dict[str, Template] | None:
        if key is None:
            return None
        if key not in self.cache:
            self.cache[key] = compose.latest_versions(self.session, self.tenant_id, key)
        return self.cache[key]


@dataclass
class RenderAccount:
    """Worker time each tenant may spend rendering in one batch. A tenant whose templates
    run out of time cannot hold a worker for a whole batch: past its allowance, the rest of
    its notifications in the batch are stored unrendered (raw text, reason recorded). A
    tenant already demoted for that (``fairness``) renders on a short budget meanwhile."""

    seconds_per_tenant: float = math.inf
    demoted: set[str] = field(default_factory=set)
    demoted_seconds: float = 0.05  # per render; honest templates take well under 1 ms
    spent: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    overran: set[str] = field(default_factory=set)  # tenants with a render out of time
    # Traced notifications' renders, by id: (start, end) in ns, for their "herald.render" span.
    timings: dict[str, tuple[int, int]] = field(default_factory=dict)

    def skip_reason(self, tenant_id: str) -> str | None:
        if self.spent[tenant_id] <= self.seconds_per_tenant:
            return None
        return (f"the tenant's templates used their {self.seconds_per_tenant:g} s of "
                "rendering in this batch")

    def render_seconds(self, tenant_id: str) -> float | None:
        return self.demoted_seconds if tenant_id in self.demoted else None

    @contextmanager
    def timed(self, tenant_id: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.spent[tenant_id] += time.perf_counter() - started


# A render by what it depends on besides the template versions of the batch: the request
# (its notifications share content and data), the reader's language and time zone, and the
# reader (only for a text that reads ``reader``).
RenderKey = tuple[str, str | None, str | None, int | None]


def _rendered(entry: StreamEntry, tenant: Tenant, reader: ReaderView, templates: _Templates,
              account: RenderAccount, renders: dict[RenderKey, compose.Rendered]
              ) -> compose.Rendered:
    """Rendered once per request for all of its readers who share a language and time zone
    (a send to a thousand readers renders once, not a thousand times)."""
    versions = templates.get(entry.template)
    who = reader.id if compose.per_reader(entry.content, versions) else None
    key = (entry.group_id, reader.locale, reader.timezone, who)
    if (known := renders.get(key)) is not None:
        return known
    with account.timed(entry.tenant_id):
        rendered = compose.in_app(entry.content, entry.template, entry.data, entry.locale,
                                  reader, tenant.default_locale, versions,
                                  account.skip_reason(entry.tenant_id),
                                  account.render_seconds(entry.tenant_id))
    if rendered.overran:
        account.overran.add(entry.tenant_id)
    renders[key] = rendered
    return rendered


def _row(entry: StreamEntry, nid: uuid.UUID, tenant: Tenant, reader: ReaderView, seq: int,
         rendered: compose.Rendered, pushing: bool) -> tuple[dict[str, Any], str | None]:
    prefs = preferences.effective(tenant, reader)
    channels = [c for c in lifecycle.chain(entry.channels, pushing)
                if prefs.allows(entry.category, c)]
    status, reason = lifecycle.initial(channels)
    return {
        "id": nid, "group_id": uuid.UUID(entry.group_id),
        "tenant_id": tenant.id, "reader_id": reader.id, "seq": seq,
        "category": entry.category, "priority": entry.priority,
        "template": entry.template, "template_id": rendered.template_id,
        "title": rendered.title, "body": rendered.body, "data": entry.data,
        "channels": channels, "locale": rendered.locale,
        "idempotency_key": entry.idempotency_key, "status": status, "status_reason": reason,
        "created_at": datetime.fromisoformat(entry.created_at),
        "traceparent": entry.traceparent,
    }, rendered.error


@dataclass
class _NewRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # render errors by id
    readers: dict[int, str] = field(default_factory=dict)  # reader row id -> external id
    entry_ids: set[str] = field(default_factory=set)  # the entries these rows are of
    waiting: set[str] = field(default_factory=set)  # entries left for later (``waits``)


def _after_stored(earlier: uuid.UUID | None, existing: set[uuid.UUID], new: _NewRows) -> bool:
    return earlier is None or earlier in existing or str(earlier) in new.entry_ids


def _new_rows(session: Session, entries: Iterable[StreamEntry], account: RenderAccount,
              waits: Mapping[str, str]) -> _NewRows:
    """Rows for entries not stored yet, with seqs handed out under the readers' row locks.
    An entry whose reader's earlier one (``waits``: entry id -> that one's id) is not stored
    yet waits (``waiting``), and so do the reader's later entries: seqs follow the order the
    API accepted them in, also when two workers hold consecutive ones of a reader."""
    by_tenant: dict[str, list[StreamEntry]] = defaultdict(list)
    for entry in {e.id: e for e in entries}.values():
        by_tenant[entry.tenant_id].append(entry)
    new = _NewRows()
    last_seq: dict[int, int] = {}  # reader row id -> the last seq handed out
    renders: dict[RenderKey, compose.Rendered] = {}
    for tenant_id, group in sorted(by_tenant.items()):
        tenant = session.get(Tenant, uuid.UUID(tenant_id))
        if tenant is None:
            raise UnknownTenant(f"unknown tenant {tenant_id}")
        # Lock first, then look for existing ids: a concurrent duplicate waits on the lock and
        # then sees our rows, so no seq is ever handed out twice or skipped.
        readers = lock_readers(session, tenant.id, (e.recipient for e in group))
        ids = {e.id: uuid.UUID(e.id) for e in group}
        before = {e.id: uuid.UUID(after) for e in group if (after := waits.get(e.id))}
        existing = set(session.scalars(select(Notification.id).where(
            lifecycle.by_ids([*ids.values(), *before.values()]))))
        templates = _Templates(session, tenant.id)
        pushing = _with_push(session, group, readers)
        held: set[int] = set()  # readers whose earlier notification is not stored yet
        for entry in sorted(group, key=lambda e: e.id):
            if (nid := ids[entry.id]) in existing:
                continue
            reader = readers[entry.recipient]
            if reader.id in held or not _after_stored(before.get(entry.id), existing, new):
                held.add(reader.id)
                new.waiting.add(entry.id)
                continue
            last_seq[reader.id] = last_seq.get(reader.id, reader.last_seq) + 1
            started = tracing.now() if entry.traceparent else 0
            rendered = _rendered(entry, tenant, reader, templates, account, renders)
            if started:
                account.timings[entry.id] = (started, tracing.now())
            row, error = _row(entry, nid, tenant, reader, last_seq[reader.id], rendered,
                              reader.id in pushing)
            new.rows.append(row)
            new.entry_ids.add(entry.id)
            new.readers[reader.id] = reader.external_id
            if error:
                new.errors.append((row["id"], error))
    _store_last_seqs(session, last_seq)
    return new


def _with_push(session: Session, group: list[StreamEntry], readers: dict[str, ReaderView]
               ) -> set[int]:
    """Readers with a push subscription, looked up only when a notification's chain is the
    default one (which then includes ``web_push``)."""
    if not any(tuple(e.channels) == lifecycle.DEFAULT_CHANNELS for e in group):
        return set()
    ids = [r.id for r in readers.values()]
    return set(session.scalars(select(PushSubscription.reader_id).distinct().where(
        PushSubscription.reader_id.in_(ids))))


# Readers and their new last seqs.
_HANDED = unnested("handed", id=BigInteger(), last_seq=BigInteger())
_STORE_LAST_SEQS = (update(User).where(User.id == _HANDED.c.id)
                    .values(last_seq=_HANDED.c.last_seq))


def _store_last_seqs(session: Session, last_seq: dict[int, int]) -> None:
    """Every reader's new last seq in one UPDATE (their rows are locked by this transaction)."""
    if not last_seq:
        return
    readers, seqs = zip(*sorted(last_seq.items()), strict=True)
    session.execute(_STORE_LAST_SEQS, {"ids": array_text(readers), "last_seqs": array_text(seqs)},
                    execution_options={"synchronize_session": False})


# What ``_row`` gives a new notification (the other columns take their defaults).
_NEW_COLUMNS = ("id", "group_id", "tenant_id", "reader_id", "seq", "category", "priority",
                "template", "template_id", "title", "body", "data", "channels", "locale",
                "idempotency_key", "status", "status_reason", "created_at", "traceparent")
# One cached statement, the rows as one array per column: the multi-row VALUES list it
# replaces cost the worker a fifth of its time in parameters alone.
_INSERT_NOTIFICATIONS = rows_of(NOTIFICATIONS, _NEW_COLUMNS).on_conflict_do_nothing()


class Persisted(NamedTuple):
    pushes: list[PushItem]  # for every one stored and not yet taken by a socket
    waiting: set[str]  # entries not stored: their reader's earlier one is not yet (``waits``)


def persist_batch(session: Session, entries: list[StreamEntry],
                  account: RenderAccount | None = None,
                  waits: Mapping[str, str] | None = None) -> Persisted:
    """Store a batch idempotently.

    Notifications without the in-app channel start their chain of fallback channels instead.
    """
    new = _new_rows(session, entries, account or RenderAccount(), waits or {})
    rows = new.rows
    if rows:
        session.execute(_INSERT_NOTIFICATIONS, as_arrays(NOTIFICATIONS, rows, _NEW_COLUMNS))
    for nid, error in new.errors:
        session.add(DeliveryAttempt(notification_id=nid, channel=RENDER_STEP, attempt=1,
                                    outcome=Outcome.ERROR, error=error))
    session.flush()
    skipping_in_app = [r["id"] for r in rows
                       if r["channels"] and r["channels"][0] != Channel.IN_APP]
    if skipping_in_app:
        deliveries.start(session, session.scalars(
            select(Notification).where(lifecycle.by_ids(skipping_in_app))))
    # Rows stored by an earlier run of this batch are read back; the new ones are at hand.
    earlier = [uuid.UUID(e.id) for e in entries
               if e.id not in new.entry_ids and e.id not in new.waiting]
    return Persisted((pending_pushes(session, earlier) if earlier else [])
                     + _pushes(rows, new.readers), new.waiting)


def _pushes(rows: list[dict[str, Any]], readers: dict[int, str]) -> list[PushItem]:
    """Push items for new in-app rows, per reader in seq order (as ``pending_pushes``)."""
    fresh = sorted((r for r in rows if r["status"] == Status.PERSISTED
                    and r["channels"][0] == Channel.IN_APP),
                   key=lambda r: (r["reader_id"], r["seq"]))
    return [PushItem(str(r["tenant_id"]), readers[r["reader_id"]],
                     notification_frame(SimpleNamespace(**r, **UNCHANGED)), r["traceparent"])
            for r in fresh]


def pending_pushes(session: Session, ids: list[uuid.UUID]) -> list[PushItem]:
    """Push items for those of ``ids`` that are in-app and not yet taken by any socket."""
    pending = session.execute(
        select(Notification, User.external_id)
        .join(User, User.id == Notification.reader_id)
        .where(lifecycle.by_ids(ids), Notification.status == Status.PERSISTED,
               Notification.channels[0].astext == Channel.IN_APP,
               Notification.deleted_at.is_(None))
        .order_by(Notification.reader_id, Notification.seq)
    ).all()
    return [PushItem(str(n.tenant_id), external_id, notification_frame(n), n.traceparent)
            for n, external_id in pending]


def record_push(session: Session, outcomes: dict[str, bool], error: str | None = None
                ) -> dict[uuid.UUID, int]:
    """One in-app attempt row per notification; delivered ones change status. ``error`` says
    why the push itself failed (the gateway refused or could not be reached).

    Returns how many in-app attempts each notification has had, this one included.
    """
    ids = [uuid.UUID(i) for i in outcomes]
    taken = list(outcomes.values())  # in the order of ``ids``
    missed = Outcome.ERROR if error else Outcome.OFFLINE
    made: dict[uuid.UUID, int] = dict(session.execute(_RECORD_IN_APP, {
        "ids": array_text(ids),
        "outcomes": [Outcome.DELIVERED if t else missed for t in taken],
        "errors": [None if t else error for t in taken],
    }).tuples().all())
    lifecycle.mark_delivered(session, [nid for nid, t in zip(ids, taken, strict=True) if t])
    return made


def _record_in_app() -> Insert:
    """In-app attempt rows for pushed notifications, each numbered after those before it:
    one statement over unnested arrays (compiled once), returning (id, attempt)."""
    pushed = unnested("pushed", id=PG_UUID(as_uuid=True), outcome=String(), error=Text())
    earlier = ATTEMPTS.alias("earlier")
    before = (select(func.count()).select_from(earlier)
              .where(earlier.c.notification_id == pushed.c.id,
                     earlier.c.channel == Channel.IN_APP).scalar_subquery())
    return (insert(ATTEMPTS)
            .from_select(["notification_id", "channel", "attempt", "outcome", "error"],
                         select(pushed.c.id, literal(Channel.IN_APP, String), before + 1,
                                pushed.c.outcome, pushed.c.error))
            .returning(ATTEMPTS.c.notification_id, ATTEMPTS.c.attempt))


_RECORD_IN_APP = _record_in_app()
