"""CORS for the REST inbox (``/v1/me/*``): a page on another origin may call it when its
tenant allows that origin (``PUT /v1/tenant/allowed-origins``) or every tenant does
(``HERALD_CORS_ALLOWED_ORIGINS``).

A preflight carries no key, so it passes for an origin that some tenant allows; the answer to
the request itself is readable by the page (``Access-Control-Allow-Origin``) only when the
tenant of the publishable key it carries allows that origin. No cookies are involved (the
reader's JWT is a header), so credentials are never allowed.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import http_errors
from backend.core.errors import Forbidden, HeraldError
from backend.tenants.origins import any_tenant_allows
from gateway.node import Node

PATH_PREFIX = "/v1/me/"
# herald.js and its types are public: any page may import the module (cross-origin module
# scripts need CORS too).
PUBLIC_PREFIX = "/static/"
METHODS = "GET, POST, PUT, OPTIONS"
HEADERS = "Authorization, X-API-Key, Content-Type"
MAX_AGE_SECONDS = 600
KNOWN_ORIGINS_SECONDS = 30.0  # a tenant's change reaches every node within this


class Cors:
    def __init__(self, app: ASGIApp, global_origins: list[str]) -> None:
        self.app = app
        self.everyone = "*" in global_origins
        self.global_origins = {o.rstrip("/").lower() for o in global_origins}
        self._known: set[str] = set()
        self._known_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and scope["path"].startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, _with_headers(send, {
                "Access-Control-Allow-Origin": "*"}))
            return
        if origin is None or not scope["path"].startswith(PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        node: Node = scope["app"].state.node
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(node, origin, scope, receive, send)
            return
        allowed = await self._allowed_for_key(node, origin, scope, headers)
        added = {"Vary": "Origin"}
        if allowed:
            added |= {"Access-Control-Allow-Origin": origin,
                      "Access-Control-Expose-Headers": "Retry-After"}
        await self.app(scope, receive, _with_headers(send, added))

    async def _preflight(self, node: Node, origin: str, scope: Scope, receive: Receive,
                         send: Send) -> None:
        if not await self._allowed_somewhere(node, origin):
            message = (f"origin {origin} may not call the REST inbox: add it with PUT "
                       "/v1/tenant/allowed-origins (or HERALD_CORS_ALLOWED_ORIGINS)")
            await http_errors.answer(Forbidden(message))(scope, receive, send)
            return
        response = Response(status_code=204, headers={
            "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": HEADERS, "Access-Control-Max-Age":
            str(MAX_AGE_SECONDS), "Vary": "Origin"})
        await response(scope, receive, send)

    async def _allowed_for_key(self, node: Node, origin: str, scope: Scope,
                               headers: Headers) -> bool:
        """The tenant of the request's publishable key allows ``origin``; with no valid key,
        any tenant (so that the page can read its 401)."""
        if self._every_tenant_allows(origin):
            return True
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        key = headers.get("x-api-key") or (query.get("api_key") or [None])[0]
        try:
            tenant = await node.auth.tenant(key)
        except HeraldError:
            return await self._allowed_somewhere(node, origin)
        return origin.lower() in tenant.origins

    def _every_tenant_allows(self, origin: str) -> bool:
        return self.everyone or origin.lower() in self.global_origins

    async def _allowed_somewhere(self, node: Node, origin: str) -> bool:
        if self._every_tenant_allows(origin):
            return True
        if time.monotonic() > self._known_until:
            self._known = await node.blocking.in_session(any_tenant_allows)
            self._known_until = time.monotonic() + KNOWN_ORIGINS_SECONDS
        return origin.lower() in self._known


def _with_headers(send: Send, added: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer = MutableHeaders(scope=message)
            for name, value in added.items():
                answer.append(name, value)
        await send(message)

    return sending
