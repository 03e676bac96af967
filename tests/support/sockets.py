"""A real WebSocket client speaking Herald's frames, for tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets


class Socket:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []  # every frame received, in order

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 15.0) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def next_of(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        """The next frame of one type, skipping others (they stay in ``seen``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    def notifications(self) -> list[dict[str, Any]]:
        return [f for f in self.seen if f["type"] == "notification"]

    def last_change(self) -> int:
        """The highest change number this client applied (what herald.js says in hello)."""
        return max((f["change"] for f in self.seen
                    if f["type"] in ("updated", "deleted", "state")), default=0)

    async def close(self) -> None:
        await self.ws.close()


def token_for(api_url: str, secret_key: str, user_id: str, ttl: int = 3600) -> str:
    response = httpx.post(f"{api_url}/v1/tokens", headers={"X-API-Key": secret_key},
                          json={"user_id": user_id, "ttl_seconds": ttl})
    response.raise_for_status()
    return response.json()["token"]


async def connect(ws_url: str, publishable_key: str, token: str, since: int | None = None,
                  epoch: str | None = None, change: int | None = None) -> Socket:
    """Connect, authenticate with a first frame, say hello, and wait for the welcome."""
    ws = await websockets.connect(f"{ws_url}?api_key={publishable_key}")
    sock = Socket(ws)
    await sock.send({"type": "auth", "token": token})
    await sock.send({"type": "hello", "since": since, "epoch": epoch, "change": change})
    sock.welcome = await sock.next_of("welcome")
    return sock
