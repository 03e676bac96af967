"""Dead letters: work that failed for good or kept failing, kept with its reason for operators
and for the tenant's ``GET /v1/dead-letters``. One stream per tenant, each capped on its own:
one tenant's flood neither pushes out nor slows down another tenant's list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import redis

from backend.core import redis_keys as keys
from backend.core.validation import find_unstorable


def add(client: redis.Redis, reason: str, payload: dict[str, Any] | str, keep: int,
        tenant_id: str | None = None) -> None:
    """Keep one dead letter; beyond ``keep`` for its tenant, the oldest goes."""
    if tenant_id is None and isinstance(payload, dict):
        tenant_id = payload.get("tenant_id")
    client.xadd(keys.dead_letters(tenant_id), {
        "reason": reason[:2000],
        "payload": payload if isinstance(payload, str) else json.dumps(payload, default=str),
        "at": datetime.now(UTC).isoformat(),
    }, maxlen=keep, approximate=False)


def list_for(client: redis.Redis, tenant_id: str, after: str | None, limit: int
             ) -> list[dict[str, Any]]:
    """The tenant's dead letters, oldest first, after the cursor ``after`` (an entry id)."""
    page = cast(list[tuple[str, dict[str, str]]], client.xrange(
        keys.dead_letters(tenant_id), min=f"({after}" if after else "-", max="+", count=limit))
    return [{"id": entry_id, "reason": fields["reason"], "at": fields["at"],
             "payload": _decode(fields["payload"])} for entry_id, fields in page]


def _decode(raw: str) -> Any:
    """The payload as JSON; one holding text no answer can encode (a lone surrogate) as the
    JSON text it was kept as, escapes and all."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return raw
    return raw if find_unstorable(payload, "payload") else payload
