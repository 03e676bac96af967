"""The worker's client of the gateway's push API (``POST /internal/push``)."""

from __future__ import annotations

import httpx

from backend.core import fast_json
from backend.core.errors import HeraldError
from backend.notifications.messages import PushItem

# The gateway could not be reached or failed (5xx): worth a quick retry.
GATEWAY_UNREACHABLE = (httpx.TransportError, httpx.HTTPStatusError)


class GatewayRefused(HeraldError):
    """The gateway answered the push API with a 4xx: retrying the same request cannot help."""


class GatewayClient:
    def __init__(self, push_url: str, internal_key: str, timeout: float = 10.0) -> None:
        self.push_url = push_url
        self.headers = {"X-Internal-Key": internal_key, "Content-Type": "application/json"}
        # One keep-alive connection pool per worker process, not a TCP handshake per batch.
        self.http = httpx.Client(timeout=timeout)

    def offer(self, items: list[PushItem]) -> dict[str, bool]:
        """Offer frames to their readers' sockets; returns id -> taken by a socket.

        A 5xx raises ``httpx.HTTPStatusError``, which tasks retry (``tasks.base``).
        """
        if not items:
            return {}
        body = fast_json.dumps({"items": [i.to_dict() for i in items]})
        response = self.http.post(self.push_url, content=body, headers=self.headers)
        if response.status_code >= 500:
            raise httpx.HTTPStatusError("gateway error", request=response.request,
                                        response=response)
        if response.status_code >= 400:
            raise GatewayRefused(f"push API answered {response.status_code}: "
                                 f"{response.text[:300]}")
        return {r["id"]: r["delivered"] for r in fast_json.loads(response.content)["results"]}
