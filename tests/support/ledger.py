"""Steady traffic to connected readers, and the ledger that checks it after a fault.

``Flow`` sends notifications at a steady rate through the service API (retrying each with the
same idempotency key until it is accepted, as a careful producer does) to readers that stay
connected the way herald.js does: they reconnect with backoff after any close and say the
last sequence they hold without a gap (``hello since``), and acknowledge cumulatively.

``Flow.check`` then asserts what Herald promises: every accepted notification is stored
exactly once, and every reader's sockets showed each of its notifications exactly once, in
``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg2
import websockets

from tests.support.sockets import token_for


@dataclass
class LedgerReader:
    user: str
    token: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0  # the last seq held with no gap before it
    connects: int = 0
    welcomes: list[dict[str, Any]] = field(default_factory=list)

    async def run(self, ws_urls: list[str], publishable_key: str, stop: asyncio.Event) -> None:
        """Stay connected; after a failed connect, try the next node (a load balancer's job)."""
        delay, node = 0.2, 0
        while not stop.is_set():
            ws_url = ws_urls[node % len(ws_urls)]
            try:
                async with websockets.connect(f"{ws_url}?api_key={publishable_key}",
                                              open_timeout=5) as ws:
                    self.connects += 1
                    await ws.send(json.dumps({"type": "auth", "token": self.token}))
                    await ws.send(json.dumps({"type": "hello", "since": self.last_seq}))
                    delay = 0.2
                    await self._read(ws, stop)
            except (OSError, TimeoutError, websockets.WebSocketException):
                node += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 2.0)

    async def _read(self, ws: websockets.ClientConnection, stop: asyncio.Event) -> None:
        acked = self.last_seq
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.1)
            except TimeoutError:
                raw = None
            if raw is not None:
                frame = json.loads(raw)
                if frame["type"] == "welcome":
                    self.welcomes.append(frame)
                elif frame["type"] == "notification":
                    self.frames.append(frame)
                    if frame["seq"] == self.last_seq + 1:
                        self.last_seq = frame["seq"]
            # Acknowledged as herald.js does: cumulatively, once a burst has been read.
            if self.last_seq > acked and (raw is None or self.last_seq - acked >= 200):
                await ws.send(json.dumps({"type": "ack", "seq": self.last_seq}))
                acked = self.last_seq

    def received(self) -> Counter[str]:
        return Counter(f["id"] for f in self.frames)


@dataclass
class Flow:
    api_url: str
    ws_url: str
    secret_key: str
    publishable_key: str
    readers: list[LedgerReader] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)  # notification id -> reader
    rate: float = 20.0
    ws_urls: list[str] = field(default_factory=list)  # reader i starts on node i
    _stop_sending: asyncio.Event = field(default_factory=asyncio.Event)
    _stop_reading: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # (asked at, answered 202 at), loop time, per accepted notification: what a producer saw.
    timings: list[tuple[float, float]] = field(default_factory=list)

    async def start(self, reader_count: int = 4) -> None:
        prefix = uuid.uuid4().hex[:6]
        for i in range(reader_count):
            user = f"ledger-{prefix}-{i}"
            token = await asyncio.to_thread(token_for, self.api_url, self.secret_key, user, 7200)
            self.readers.append(LedgerReader(user, token))
        nodes = self.ws_urls or [self.ws_url]
        self._tasks = [asyncio.create_task(r.run(nodes[i:] + nodes[:i], self.publishable_key,
                                                 self._stop_reading))
                       for i, r in enumerate(self.readers)]
        self._tasks.append(asyncio.create_task(self._send_steadily()))

    async def _send_steadily(self) -> None:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=5,
                                     headers={"X-API-Key": self.secret_key}) as api:
            n = 0
            while not self._stop_sending.is_set():
                reader = self.readers[n % len(self.readers)]
                await self._send_one(api, reader.user, f"ledger-{uuid.uuid4().hex}")
                n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_sending.wait(), 1 / self.rate)

    async def _send_one(self, api: httpx.AsyncClient, user: str, key: str) -> None:
        """Until accepted, with the same idempotency key: a retry never sends twice."""
        body = {"recipients": [user], "content": {"title": key}, "idempotency_key": key,
                "channels": ["in_app"]}
        asked = asyncio.get_running_loop().time()
        for _ in range(600):
            try:
                response = await api.post("/v1/notifications", json=body)
                if response.status_code == 202:
                    self.accepted[response.json()["notifications"][0]["id"]] = user
                    self.timings.append((asked, asyncio.get_running_loop().time()))
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"never accepted: {key}")

    def shown(self) -> int:
        """Notification frames the readers' sockets showed so far."""
        return sum(len(r.frames) for r in self.readers)

    async def flowing(self, shown: int = 20, timeout: float = 60) -> None:
        """Until traffic reaches the readers: a fault is injected into a system at work."""
        await asyncio.wait_for(self._until(lambda: self.shown() >= shown), timeout)

    async def more_accepted(self, count: int = 40, timeout: float = 60) -> None:
        """Until ``count`` more are accepted: traffic after the fault, too."""
        target = len(self.accepted) + count
        await asyncio.wait_for(self._until(lambda: len(self.accepted) >= target), timeout)

    async def more_shown(self, count: int = 20, timeout: float = 60) -> None:
        """Until the readers' sockets show ``count`` more: delivery, not only intake, goes on."""
        target = self.shown() + count
        await asyncio.wait_for(self._until(lambda: self.shown() >= target), timeout)

    @staticmethod
    async def _until(predicate: Callable[[], bool]) -> None:
        while not predicate():
            await asyncio.sleep(0.1)

    async def stop_sending(self) -> None:
        self._stop_sending.set()
        await self._tasks[-1]

    async def check(self, database_dsn: str, timeout: float = 90) -> None:
        """Stop sending, wait for every reader to hold all of its notifications, then assert
        the ledger: stored once each, shown once each, in seq order."""
        await self.stop_sending()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._all_received():
            if loop.time() > deadline:
                raise AssertionError(await asyncio.to_thread(self._missing_summary,
                                                             database_dsn))
            await asyncio.sleep(0.2)
        self._stop_reading.set()
        await asyncio.gather(*self._tasks[:-1])
        for reader in self.readers:
            shown = reader.received()
            twice = [nid for nid, count in shown.items() if count > 1]
            assert not twice, f"{reader.user} saw {len(twice)} notifications twice"
            seqs = [f["seq"] for f in reader.frames]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), \
                f"{reader.user}: frames out of seq order"
        stored = await asyncio.to_thread(_stored_counts, database_dsn, list(self.accepted))
        assert stored == {nid: 1 for nid in self.accepted}, "an accepted id not stored once"

    def _all_received(self) -> bool:
        return all(set(self._expected(r)) <= set(r.received()) for r in self.readers)

    def _expected(self, reader: LedgerReader) -> list[str]:
        return [nid for nid, user in self.accepted.items() if user == reader.user]

    def _missing_summary(self, database_dsn: str) -> str:
        missing = {nid for r in self.readers for nid in set(self._expected(r)) - set(r.received())}
        rows = {nid: (status, seq) for nid, status, seq in query(
            database_dsn, "SELECT id::text, status, seq FROM notifications "
            "WHERE id::text = ANY(%s)", list(missing))}
        held = {r.user: (r.last_seq, r.connects) for r in self.readers}
        return (f"never shown: {len(missing)}; stored as (status, seq): "
                f"{[rows.get(nid, 'not stored') for nid in sorted(missing)][:10]}; "
                f"readers (last seq, connects): {held}")


def query(dsn: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows straight from the system's PostgreSQL, read as an operator would."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()


def _stored_counts(dsn: str, ids: list[str]) -> dict[str, int]:
    return dict(query(dsn, "SELECT id::text, count(*) FROM notifications "
                           "WHERE id::text = ANY(%s) GROUP BY id", ids))
