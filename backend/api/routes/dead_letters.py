"""Dead letters: notifications that could not be processed, with the reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from redis.exceptions import ResponseError

from backend.api.deps import RedisDep, TenantDep
from backend.core.errors import InvalidInput
from backend.notifications import dead_letters
from backend.notifications.schemas import DeadLetterPage

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


@router.get("")
def list_dead_letters(
    tenant: TenantDep, redis: RedisDep,
    after: Annotated[str | None, Query(pattern=r"^\d+-\d+$", description="cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeadLetterPage:
    """The tenant's dead letters, oldest first; pass ``next_after`` to page on."""
    try:
        items = dead_letters.list_for(redis, str(tenant.id), after, limit)
    except ResponseError as exc:
        raise InvalidInput(f"not a valid cursor: {exc}", ("query", "after")) from exc
    return DeadLetterPage(items=items, next_after=items[-1]["id"] if len(items) == limit else None)
