"""Dead letters: work that failed for good or kept failing, kept with its reason for operators
and for the tenant's ``GET /v1/dead-letters``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import redis

from backend.core import redis_keys as keys

MAX_LENGTH = 100_000  # oldest dead letters go first beyond this


def add(client: redis.Redis, reason: str, payload: dict[str, Any] | str,
        tenant_id: str | None = None) -> None:
    if tenant_id is None and isinstance(payload, dict):
        tenant_id = payload.get("tenant_id")
    client.xadd(keys.DEAD_LETTER_STREAM, {
        "tenant_id": tenant_id or "", "reason": reason[:2000],
        "payload": payload if isinstance(payload, str) else json.dumps(payload, default=str),
        "at": datetime.now(UTC).isoformat(),
    }, maxlen=MAX_LENGTH, approximate=True)


def list_for(client: redis.Redis, tenant_id: str, after: str | None, limit: int
             ) -> list[dict[str, Any]]:
    """The tenant's dead letters, oldest first, after the cursor ``after`` (an entry id)."""
    found: list[dict[str, Any]] = []
    start = f"({after}" if after else "-"
    while len(found) < limit:
        page = cast(list[tuple[str, dict[str, str]]],
                    client.xrange(keys.DEAD_LETTER_STREAM, min=start, max="+", count=500))
        if not page:
            break
        for entry_id, fields in page:
            if fields.get("tenant_id") == tenant_id:
                found.append({"id": entry_id, "reason": fields["reason"], "at": fields["at"],
                              "payload": _decode(fields["payload"])})
        start = f"({page[-1][0]}"
    return found[:limit]


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
