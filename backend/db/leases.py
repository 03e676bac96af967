"""Claiming due rows with a lease: how waiting work (retries, fallbacks, webhook events)
is handed out. The rows are locked with SKIP LOCKED, so two dispatchers at once never take
the same one, and their due time moves on by the lease, so a claim whose task was lost
comes back by itself.

Rows are handed out as the bridge publishes (DESIGN, "the bridge is the scheduler"): tenant
by tenant in turn, each tenant's oldest first, so one tenant's thousands of due rows never
push another's few to a later tick. (Priority comes first by claiming each one apart.)"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    Subquery,
    case,
    cast,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.db.models import Base

Row = TypeVar("Row", bound=Base)


def claim(session: Session, model: type[Row], due: InstrumentedAttribute[Any],
          key: InstrumentedAttribute[Any], limit: int, lease_seconds: float,
          *where: ColumnElement[bool], tenant: InstrumentedAttribute[Any],
          weights: Mapping[str, float] | None = None, now: datetime | None = None
          ) -> list[Row]:
    """Up to ``limit`` rows of ``model`` due by ``due``, in turns of ``tenant`` (a weight of
    2 takes two rows a turn), locked and leased. Needs an index on ``(tenant, due)``."""
    now = now or datetime.now(UTC)
    picked = _in_turns(key, due, tenant, (due <= now, *where), limit, weights or {})
    # Locked above the window function (they may not share a query level); a row another
    # dispatcher holds is skipped: this claim is one short, not blocked.
    rows = list(session.scalars(
        select(model).join(picked, key == picked.c.key)
        .order_by(picked.c.turn, picked.c.due).with_for_update(of=model, skip_locked=True)))
    if rows:
        session.execute(update(model).where(key.in_([getattr(r, key.key) for r in rows]))
                        .values({due.key: now + timedelta(seconds=lease_seconds)}))
    return rows


def _in_turns(key: InstrumentedAttribute[Any], due: InstrumentedAttribute[Any],
              tenant: InstrumentedAttribute[Any], waiting: tuple[ColumnElement[bool], ...],
              limit: int, weights: Mapping[str, float]) -> Subquery:
    """The keys of the first ``limit`` waiting rows in tenants' turns, with their turn."""
    # The tenants with due rows, by skipping through the (tenant, due) index: a few reads
    # per tenant, where a window over every due row sorted a backlog of 200,000 for 1.3 s.
    # (ORDER BY ... LIMIT 1, as PostgreSQL has no min() of a uuid.)
    tenants = (select(tenant.label("id")).where(*waiting).order_by(tenant).limit(1)
               .cte("due_tenants", recursive=True))
    following = (select(tenant).where(tenant > tenants.c.id, *waiting).order_by(tenant)
                 .limit(1).scalar_subquery())
    tenants = tenants.union_all(select(following).where(tenants.c.id.is_not(None)))
    # Each one's oldest: no tenant can take more than ``limit`` rows.
    oldest = (select(key.label("key"), due.label("due"), tenant.label("tenant"))
              .where(tenant == tenants.c.id, *waiting).order_by(due).limit(limit)
              .lateral("oldest"))
    turn = (cast(func.row_number().over(partition_by=oldest.c.tenant, order_by=oldest.c.due),
                 Float) / _weight(oldest.c.tenant, weights))
    ranked = select(oldest.c.key, oldest.c.due, turn.label("turn")).select_from(
        tenants.join(oldest, true())).subquery()
    return select(ranked).order_by(ranked.c.turn, ranked.c.due).limit(limit).subquery("picked")


def _weight(tenant: ColumnElement[Any], weights: Mapping[str, float]) -> ColumnElement[Any]:
    """Each tenant's weight (HERALD_TENANT_WEIGHTS); a key that is no tenant id weighs on
    nobody."""
    known = {}
    for name, weight in weights.items():
        try:
            known[uuid.UUID(name)] = weight
        except ValueError:
            continue
    if not known:
        return literal(1.0)
    return case(known, value=tenant, else_=literal(1.0))
