"""A send to a topic of 100,000 readers: the API's answer is one row, whatever the size;
the fan-out happens downstream. Some subscribers hold a socket; the figures are the 202's
latency, the time to the last online socket, and the time until every subscriber's
notification is stored.

    python -m bench.topics [--subscribers 100000] [--online 500]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
import uuid

import httpx
from sqlalchemy import func, select

from bench.pipeline import Online
from bench.results import allow_many_sockets, fast_event_loop, save, stamp
from bench.stack import BenchStack, bench_stack
from tests.support.db import new_tenant, session_scope


def _stored(send_id: str) -> int:
    from backend.db.models import Notification

    with session_scope() as session:
        return session.scalar(select(func.count()).where(
            Notification.group_id == uuid.UUID(send_id))) or 0


async def topic_send(stack: BenchStack, subscribers: int, online: int) -> dict[str, float]:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=120,
                                 headers={"X-API-Key": tenant.secret_key}) as api:
        (await api.put("/v1/topics/everyone", json={"name": "Everyone"})).raise_for_status()
        for start in range(0, subscribers, 1000):
            (await api.post("/v1/topics/everyone/subscribers", json={"add": [
                f"on{i}" for i in range(start, min(start + 1000, subscribers))]})
             ).raise_for_status()
        readers = await Online.open(stack, tenant, online)  # on0 ..: subscribers too
        readers.tally.expect(online)
        begin = time.perf_counter()
        answer = await api.post("/v1/notifications", json={
            "topic": "everyone", "content": {"title": "Release {{ v }}"}, "data": {"v": "2.0"},
            "channels": ["in_app"]})
        answered = time.perf_counter() - begin
        answer.raise_for_status()
        send_id = answer.json()["id"]
    await readers.tally.wait(1800)
    last_socket = time.perf_counter() - begin
    while _stored(send_id) < subscribers:
        await asyncio.sleep(0.5)
    stored = time.perf_counter() - begin
    await readers.close()
    return {"answer_ms": answered * 1000, "last_online_socket_seconds": last_socket,
            "all_stored_seconds": stored, "stored_per_second": subscribers / stored}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--online", type=int, default=500)
    args = parser.parse_args()
    allow_many_sockets()
    fast_event_loop()
    at = stamp()
    with bench_stack(tenant_rate_per_second="100000", tenant_burst="1000000") as stack:
        for part in ("gateway", "api", "bridge", "worker", "beat"):
            stack.start(part)
        figures = asyncio.run(topic_send(stack, args.subscribers, args.online))
    print(f"one send to a topic of {args.subscribers:,} readers, {args.online} of them online:")
    print(f"  202 answered in        {figures['answer_ms']:8.1f} ms")
    print(f"  last online socket     {figures['last_online_socket_seconds']:8.1f} s")
    print(f"  all {args.subscribers:,} stored in {figures['all_stored_seconds']:8.1f} s "
          f"({figures['stored_per_second']:.0f}/s)")
    save("topics", {"subscribers": args.subscribers, "online": args.online,
                    **{k: round(v, 2) for k, v in figures.items()}}, at)


if __name__ == "__main__":
    main()
