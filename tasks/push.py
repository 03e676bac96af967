"""The worker's client of the gateway's push API."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import httpx

from backend.config import get_settings
from backend.errors import HeraldError


class PushError(HeraldError):
    """The gateway answered the push API with an error."""


@lru_cache
def _client() -> httpx.Client:
    # One keep-alive connection pool per worker process, not a TCP handshake per batch.
    return httpx.Client(timeout=10.0)


def push(items: list[dict[str, Any]]) -> dict[str, bool]:
    """Push notification frames to their readers' sockets; returns id -> taken by a socket."""
    if not items:
        return {}
    settings = get_settings()
    response = _client().post(
        settings.push_url, json={"items": items},
        headers={"X-Internal-Key": settings.require_internal_key()},
    )
    if response.status_code >= 500:
        raise httpx.HTTPStatusError("gateway error", request=response.request, response=response)
    if response.status_code >= 400:
        raise PushError(f"push API answered {response.status_code}: {response.text[:300]}")
    return {r["id"]: r["delivered"] for r in response.json()["results"]}
