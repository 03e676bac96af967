"""The gateway bounds what one reader, one address and one slow client can hold, and answers
every malformed credential or frame with a close code, never a dropped connection."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import jwt
import pytest
import websockets

from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, TenantKeys

SOCKETS_PER_READER = 20  # HERALD_WS_MAX_SOCKETS_PER_READER default


async def close_code(ws: websockets.ClientConnection, timeout: float = 15) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


async def test_one_reader_cannot_hold_more_than_its_sockets(stack: Stack, tenant: TenantKeys):
    token = token_for(stack.api_url, tenant.secret_key, "hoarder")
    held = [await connect(stack.ws_url, tenant.publishable_key, token)
            for _ in range(SOCKETS_PER_READER)]
    extra = await websockets.connect(f"{stack.ws_url}?api_key={tenant.publishable_key}")
    await extra.send(json.dumps({"type": "auth", "token": token}))
    assert await close_code(extra) == 4409
    # The sockets already open keep working.
    httpx.post(f"{stack.api_url}/v1/notifications", headers={"X-API-Key": tenant.secret_key},
               json={"recipients": ["hoarder"], "content": {"title": "still here"}})
    frames = await asyncio.gather(*(s.next_of("notification") for s in held))
    assert {f["title"] for f in frames} == {"still here"}
    for sock in held:
        await sock.close()


async def test_unauthenticated_sockets_per_address_are_capped(stack: Stack,
                                                              tenant: TenantKeys):
    idle = [await websockets.connect(f"{stack.ws_url}?api_key={tenant.publishable_key}")
            for _ in range(80)]
    codes = await asyncio.gather(*(close_code(ws, 1.0) for ws in idle[-5:]))
    assert 1013 in codes, codes  # refused at once, not after the handshake timeout
    for ws in idle:
        await ws.close()


def test_slowloris_connections_are_closed(stack: Stack):
    port = int(stack.gateway_url.rsplit(":", 1)[1])
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    conn.settimeout(60)
    started = time.monotonic()
    try:
        data = conn.recv(1024)
    except (ConnectionResetError, TimeoutError):
        data = b""
    assert time.monotonic() - started < 60  # closed by the gateway, not by our timeout
    assert data == b"" or data.startswith(b"HTTP/1.1 408")
    conn.close()


def forged(tenant: TenantKeys, sub: str) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, tenant.signing_secret,
                      algorithm="HS256")


@pytest.mark.parametrize("sub", ["nul\x00byte", "x" * 5000, " padded "])
async def test_bad_sub_closes_4401(stack: Stack, tenant: TenantKeys, sub: str):
    ws = await websockets.connect(f"{stack.ws_url}?api_key={tenant.publishable_key}")
    await ws.send(json.dumps({"type": "auth", "token": forged(tenant, sub)}))
    assert await close_code(ws) == 4401


@pytest.mark.parametrize("sub", ["nul\x00byte", "x" * 5000])
def test_bad_sub_is_401_on_rest(stack: Stack, tenant: TenantKeys, sub: str):
    response = httpx.get(f"{stack.gateway_url}/v1/me/notifications",
                         headers={"Authorization": f"Bearer {forged(tenant, sub)}",
                                  "X-API-Key": tenant.publishable_key})
    assert response.status_code == 401, response.text
    assert "sub" in response.text


async def test_binary_frame_closes_1003(stack: Stack, tenant: TenantKeys):
    sock: Socket = await connect(stack.ws_url, tenant.publishable_key,
                                 token_for(stack.api_url, tenant.secret_key, "binary"))
    await sock.ws.send(b"\x00\x01binary")
    assert await close_code(sock.ws) == 1003


async def _pending_codes(port: int, forwarded_for: list[str]) -> list[int | None]:
    """Open unauthenticated sockets one after another, each claiming an address; the close
    code each got at once (None: still waiting for its auth frame)."""
    held, codes = [], []
    try:
        for address in forwarded_for:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws",
                                          additional_headers={"X-Forwarded-For": address})
            held.append(ws)
            try:
                codes.append(await close_code(ws, timeout=0.5))
            except TimeoutError:
                codes.append(None)
    finally:
        for ws in held:
            await ws.close()
    return codes


async def test_behind_a_trusted_proxy_each_reader_is_counted_by_their_own_address(start_part):
    trusted = start_part("gateway", name="gateway-behind-proxy", ws_max_pending_per_ip="2",
                         trusted_proxies='["127.0.0.1"]', ws_handshake_timeout_seconds="10")
    assert await _pending_codes(trusted.port, ["198.51.100.1", "198.51.100.2",
                                               "198.51.100.3"]) == [None, None, None]
    assert await _pending_codes(trusted.port, ["198.51.100.9"] * 3) == [None, None, 1013]


async def test_an_untrusted_peers_forwarded_address_is_ignored(start_part):
    untrusted = start_part("gateway", name="gateway-untrusted-peer", ws_max_pending_per_ip="2",
                           trusted_proxies='["10.255.0.1"]', ws_handshake_timeout_seconds="10")
    assert await _pending_codes(untrusted.port, ["198.51.100.1", "198.51.100.2",
                                                 "198.51.100.3"]) == [None, None, 1013]
