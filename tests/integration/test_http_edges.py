"""What a producer on any HTTP client sees at the edges: the 413 for a body past the limit
(urllib and requests write the whole body before reading the answer), chunked or not, and a
body dripped a byte at a time cut off at its deadline."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest

from tests.support.stack import Stack, StartPart, TenantKeys


@pytest.mark.parametrize("megabytes", [2, 30])
def test_urllib_reads_the_413_of_a_body_past_the_limit(stack: Stack, tenant: TenantKeys,
                                                        megabytes: int):
    body = b'{"recipients":["u"],"content":{"title":"' + b"x" * (megabytes << 20) + b'"}}'
    request = urllib.request.Request(
        f"{stack.api_url}/v1/notifications", data=body, method="POST",
        headers={"X-API-Key": tenant.secret_key, "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["detail"] == (
        "request body is larger than 1,048,576 bytes (HERALD_MAX_REQUEST_BYTES)")


async def test_an_async_client_reads_the_413_too(stack: Stack, tenant: TenantKeys):
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(f"{stack.api_url}/v1/notifications",
                                     content=b"x" * (30 << 20),
                                     headers={"X-API-Key": tenant.secret_key})
    assert response.status_code == 413


def test_a_chunked_body_past_the_limit_is_a_413(stack: Stack, tenant: TenantKeys):
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * (1 << 20)

    response = httpx.post(f"{stack.api_url}/v1/notifications", content=chunks(), timeout=60,
                          headers={"X-API-Key": tenant.secret_key,
                                   "content-type": "application/json"})
    assert response.status_code == 413 and "HERALD_MAX_REQUEST_BYTES" in response.text


def _dripped_until_closed(port: int, path: str, seconds: float) -> float:
    """Send a request head at once, then its body a byte every 0.25 s; the seconds until the
    server closed the connection (or ``seconds`` if it never did)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 1000\r\n\r\n".encode())
        started = time.monotonic()
        sock.settimeout(0.25)
        while time.monotonic() - started < seconds:
            try:
                if sock.recv(4096) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
            try:
                sock.sendall(b" ")
            except OSError:
                return time.monotonic() - started
        return seconds


@pytest.mark.parametrize("part", ["api", "gateway"])
def test_a_dripped_body_is_cut_at_its_deadline(start_part: StartPart, part: str):
    proc = start_part(part, name=f"{part}-body-deadline", http_body_timeout_seconds="2")
    path = "/v1/notifications" if part == "api" else "/v1/me/preferences"
    took = _dripped_until_closed(proc.port, path, 20)
    assert 1.5 < took < 6, took
