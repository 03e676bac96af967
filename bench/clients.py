"""The benchmark's WebSocket clients: Herald's readers (acking as herald.js does) and
socket.io clients for the peers (engine.io v4 over a plain WebSocket), on the same library
and the same JSON decoder (orjson: the clients share two cores with the servers they
measure), so that every server is measured with the same client."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import websockets

ACK_DELAY = 0.2  # herald.js (ACK_DELAY_MS): one cumulative ack per burst
AT_ONCE = 50  # sockets opening at the same moment
# Pooled connections are dropped before uvicorn closes them idle (5 s): a request sent on a
# connection the server is closing that moment fails with a ReadError.
LIMITS = httpx.Limits(keepalive_expiry=2.0)


@dataclass
class Tally:
    """What all the clients of one measurement received."""

    frames: int = 0
    expected: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: list[tuple[float, Any]] = field(default_factory=list)  # (time, key) if keyed
    keyed: Callable[[dict[str, Any]], Any] | None = None

    def expect(self, frames: int) -> None:
        self.frames, self.expected = 0, frames
        self.arrivals.clear()
        self.done = asyncio.Event()

    def took(self, frame: dict[str, Any]) -> None:
        self.frames += 1
        if self.keyed is not None:
            self.arrivals.append((time.perf_counter(), self.keyed(frame)))
        if self.frames >= self.expected > 0:
            self.done.set()

    async def wait(self, timeout: float) -> None:
        await asyncio.wait_for(self.done.wait(), timeout)


def _closed_meanwhile(sending: asyncio.Future[None]) -> None:
    """An ack due when the bench closed the socket is dropped, as a closing tab drops it."""
    if not sending.cancelled():
        sending.exception()


class HeraldReader:
    """One socket of one reader: counts notification frames, checks their seqs run without
    gap or duplicate, and acknowledges once per burst: cumulatively (``seq``, as herald.js
    does), or naming each notification (``ids``, as a third-party client may)."""

    def __init__(self, ws: websockets.ClientConnection, welcome: dict[str, Any],
                 since: int, ack: bool = True, by_ids: bool = False) -> None:
        self.ws, self.welcome, self.seq, self.ack, self.by_ids = ws, welcome, since, ack, by_ids
        self.gaps = self.duplicates = 0
        self._ack: asyncio.TimerHandle | None = None
        self._ids: list[str] = []

    def _send_ack(self) -> None:
        self._ack = None
        frames = [{"type": "ack", "seq": self.seq}] if not self.by_ids else [
            {"type": "ack", "ids": self._ids[start:start + 1000]}
            for start in range(0, len(self._ids), 1000)]
        self._ids = []
        for frame in frames:
            sending = asyncio.ensure_future(self.ws.send(json.dumps(frame)))
            sending.add_done_callback(_closed_meanwhile)

    async def run(self, tally: Tally) -> None:
        async for raw in self.ws:
            frame = orjson.loads(raw)
            if frame["type"] != "notification":
                continue
            seq = frame["seq"]
            if seq <= self.seq:
                self.duplicates += 1
                continue
            self.gaps += seq != self.seq + 1
            self.seq = seq
            if self.by_ids:
                self._ids.append(frame["id"])
            tally.took(frame)
            if self.ack and self._ack is None:
                self._ack = asyncio.get_running_loop().call_later(ACK_DELAY, self._send_ack)


async def reader_tokens(api_url: str, secret_key: str, names: Sequence[str]) -> list[str]:
    async with httpx.AsyncClient(base_url=api_url, timeout=60, limits=LIMITS,
                                 headers={"X-API-Key": secret_key}) as api:
        async def one(name: str, tries: int = 3) -> str:
            while True:  # a token is minted again safely
                tries -= 1
                try:
                    answer = await api.post("/v1/tokens", json={"user_id": name})
                    return str(answer.json()["token"])
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    if not tries:
                        raise

        tokens: list[str] = []
        for start in range(0, len(names), AT_ONCE):
            tokens += await asyncio.gather(*(one(n) for n in names[start:start + AT_ONCE]))
        return tokens


async def open_herald(ws_url: str, publishable_key: str, token: str,
                      since: int | None = 0, ack: bool = True, by_ids: bool = False
                      ) -> HeraldReader:
    ws = await websockets.connect(f"{ws_url}?api_key={publishable_key}", max_queue=None,
                                  compression=None)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    await ws.send(json.dumps({"type": "hello", "since": since}))
    while (frame := json.loads(await ws.recv()))["type"] != "welcome":
        pass
    return HeraldReader(ws, frame, since or 0, ack, by_ids)


class SocketIOClient:
    """A socket.io client in its protocol's own terms: engine.io open, namespace connect,
    pings answered, ``42["event", data]`` messages counted."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def run(self, tally: Tally) -> None:
        async for raw in self.ws:
            if raw == "2":
                await self.ws.send("3")
            elif isinstance(raw, str) and raw.startswith("42"):
                tally.took(orjson.loads(raw[2:])[1])


async def open_socketio(base_url: str) -> SocketIOClient:
    ws = await websockets.connect(f"{base_url}/socket.io/?EIO=4&transport=websocket",
                                  max_queue=None, compression=None)
    opening = await ws.recv()
    assert isinstance(opening, str) and opening.startswith("0"), opening
    await ws.send("40")
    while not str(await ws.recv()).startswith("40"):
        pass
    return SocketIOClient(ws)


async def open_many(count: int, open_one: Callable[[int], Awaitable[Any]]) -> tuple[list[Any],
                                                                                      float]:
    """``count`` sockets, ``AT_ONCE`` opening at a time; and the sockets opened per second."""
    opened: list[Any] = []
    begin = time.perf_counter()
    for start in range(0, count, AT_ONCE):
        opened += await asyncio.gather(*(open_one(i)
                                         for i in range(start, min(count, start + AT_ONCE))))
    return opened, count / (time.perf_counter() - begin)


async def close_all(sockets: Sequence[Any]) -> None:
    for start in range(0, len(sockets), 500):
        await asyncio.gather(*(s.ws.close() for s in sockets[start:start + 500]),
                             return_exceptions=True)
