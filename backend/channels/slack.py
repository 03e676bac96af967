"""Slack incoming webhooks."""

from __future__ import annotations

import httpx

from backend.channels import NoAddress, PermanentError, TransientError


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def send(webhook_url: str | None, text: str) -> None:
    if not webhook_url:
        raise NoAddress("reader has no slack_webhook_url")
    try:
        response = httpx.post(webhook_url, json={"text": text}, timeout=10.0)
    except httpx.TransportError as exc:
        raise TransientError(f"slack unreachable: {exc}") from exc
    if response.status_code == 429:
        raise TransientError("slack rate limited (429)", _retry_after(response))
    if response.status_code >= 500:
        raise TransientError(f"slack answered {response.status_code}")
    if response.status_code >= 400:
        raise PermanentError(f"slack answered {response.status_code}: {response.text[:200]}")
