"""One trace per notification: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, the API, the bridge,
the worker and the gateway each export their spans to a real OTLP/HTTP receiver, and one
notification's spans, from the API's request to the frame written to the reader's socket,
share one trace id with each span the child of the one before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.support.db import new_tenant
from tests.support.harness import free_port, wait_until
from tests.support.otlp import Receiver, otlp_receiver
from tests.support.sockets import connect, token_for
from tests.support.stack import StartPart

# Each span of the path, by the process that exports it, in order: each the next's parent.
PATH = [("herald-bridge", "herald.bridge"), ("herald-worker", "herald.deliver"),
        ("herald-worker", "herald.push"), ("herald-gateway", "herald.gateway.push"),
        ("herald-gateway", "herald.gateway.frame")]


@pytest.fixture
def traced(start_part: StartPart, servers: Any) -> Iterator[tuple[Receiver, str, str]]:
    """An API, a bridge, a worker and a gateway exporting traces, on a Redis database of
    their own; the receiver, the API's URL and the gateway's."""
    with otlp_receiver() as receiver:
        url = servers.redis_url(3)
        redis.Redis.from_url(url).flushdb()
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                   "OTEL_BSP_SCHEDULE_DELAY": "100"}
        gateway = start_part("gateway", name="gateway-traced", redis_url=url, environ=environ)
        gateway_url = f"http://127.0.0.1:{gateway.port}"
        api = start_part("api", name="api-traced", redis_url=url, environ=environ)
        start_part("worker", name="worker-traced", redis_url=url, gateway_url=gateway_url,
                   worker_metrics_port=str(free_port()), args=("--delivery",), environ=environ)
        start_part("bridge", name="bridge-traced", redis_url=url,
                   bridge_consumer="bridge-traced", environ=environ)
        yield receiver, f"http://127.0.0.1:{api.port}", gateway_url


async def test_one_notifications_spans_share_a_trace_from_api_to_socket(traced):
    receiver, api_url, gateway_url = traced
    tenant = new_tenant("traced")
    token = token_for(api_url, tenant.secret_key, "tracy")
    ws_url = gateway_url.replace("http", "ws") + "/ws"
    sock = await connect(ws_url, tenant.publishable_key, token, since=0)
    answer = httpx.post(f"{api_url}/v1/notifications", headers={"X-API-Key": tenant.secret_key},
                        json={"recipients": ["tracy"], "content": {"title": "Traced"}})
    assert answer.status_code == 202
    nid = answer.json()["notifications"][0]["id"]
    frame = await sock.next_of("notification", timeout=30)
    assert frame["id"] == nid
    assert not any(key.startswith("_") for key in frame), "nothing of the trace reaches readers"
    await sock.close()

    def ours(name: str) -> list:
        return [s for s in receiver.named(name)
                if s.attributes.get("herald.notification_id") == nid]

    await asyncio.to_thread(wait_until, lambda: all(ours(name) for _, name in PATH),
                            timeout=30, what="every part's span of the notification")
    request = [s for s in receiver.spans if s.service == "herald-api"
               and s.name == "POST /v1/notifications" and not s.parent_id]
    trace_id = ours("herald.bridge")[0].trace_id
    root = [s for s in request if s.trace_id == trace_id]
    assert len(root) == 1, "the API's request span starts the notification's trace"
    parent = root[0]
    for service, name in PATH:
        (span,) = ours(name)
        assert (span.service, span.trace_id) == (service, trace_id), span
        if name == "herald.deliver":
            assert [s.parent_id for s in ours("herald.persist")] == [span.span_id]
        assert span.parent_id == parent.span_id, f"{name}'s parent is {parent.name}"
        parent = span
    # The official instrumentations join in where they fit: the API's XADD to the stream.
    assert any(s.service == "herald-api" and s.parent_id and "XADD" in s.name
               for s in receiver.of_trace(trace_id)), {s.name for s in receiver.of_trace(trace_id)}
