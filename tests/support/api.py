"""Calls to the service API that many tests make."""

from __future__ import annotations

from typing import Any

import httpx


def send(api: httpx.Client, recipient: str, title: str, body: str = "", **fields: Any
         ) -> dict[str, Any]:
    """Send one notification to one reader; the 202 answer (``id``, ``notifications``)."""
    response = api.post("/v1/notifications", json={
        "recipients": [recipient], "content": {"title": title, "body": body}, **fields})
    assert response.status_code == 202, response.text
    return response.json()
