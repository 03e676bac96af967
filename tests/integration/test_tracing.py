"""One trace per notification: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, the API, the bridge,
the workers and the gateway each export their spans to a real OTLP/HTTP receiver, and one
notification's spans, from the API's request to the frame written to the reader's socket,
share one trace id with each span the child of the one before. A fallback sent later (here
an email, through the real SMTP server) continues the trace of the request that sent it."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis

from tests.support.db import new_tenant
from tests.support.harness import Proc, free_port, wait_until
from tests.support.otlp import ReceivedSpan, Receiver, otlp_receiver
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, StartPart

# Each span of the path, by the process that exports it, in order: each the next's parent.
PATH = [("herald-bridge", "herald.bridge"), ("herald-worker", "herald.deliver"),
        ("herald-worker", "herald.push"), ("herald-gateway", "herald.gateway.push"),
        ("herald-gateway", "herald.gateway.frame")]


def of(receiver: Receiver, name: str, nid: str) -> list[ReceivedSpan]:
    """The spans of one name about one notification."""
    return [s for s in receiver.named(name) if s.attributes.get("herald.notification_id") == nid]


def request_span(receiver: Receiver, trace_id: str) -> ReceivedSpan:
    (root,) = [s for s in receiver.of_trace(trace_id) if s.service == "herald-api"
               and s.name == "POST /v1/notifications" and not s.parent_id]
    return root


@contextmanager
def paused(proc: Proc) -> Iterator[None]:
    """The session's beat frozen meanwhile: it shares the database, and a fallback due there
    would as well be dispatched by it, to its own (untraced) outbound worker."""
    assert proc.popen is not None
    os.killpg(proc.popen.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(proc.popen.pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def traced(start_part: StartPart, servers: Any, stack: Stack
           ) -> Iterator[tuple[Receiver, str, str]]:
    """An API, a bridge, the workers, beat and a gateway exporting traces, on a Redis database
    of their own; the receiver, the API's URL and the gateway's. Stopped after this module's
    tests (the session's other parts do not trace)."""
    with otlp_receiver() as receiver, paused(stack.procs["beat"]):
        url = servers.redis_url(3)
        redis.Redis.from_url(url).flushdb()
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                   "OTEL_BSP_SCHEDULE_DELAY": "100"}
        gateway = start_part("gateway", name="gateway-traced", redis_url=url, environ=environ)
        gateway_url = f"http://127.0.0.1:{gateway.port}"
        parts = [gateway, start_part("api", name="api-traced", redis_url=url, environ=environ)]
        parts += [
            start_part("worker", name="worker-traced", redis_url=url, gateway_url=gateway_url,
                       worker_metrics_port=str(free_port()), args=("--delivery",),
                       environ=environ),
            start_part("bridge", name="bridge-traced", redis_url=url,
                       bridge_consumer="bridge-traced", environ=environ),
            start_part("outbound", name="outbound-traced", redis_url=url,
                       gateway_url=gateway_url, outbound_metrics_port=str(free_port()),
                       environ=environ),
            start_part("beat", name="beat-traced", redis_url=url, gateway_url=gateway_url,
                       environ=environ)]
        try:
            yield receiver, f"http://127.0.0.1:{parts[1].port}", gateway_url
        finally:
            for part in reversed(parts):
                part.stop()


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

    def ours(name: str) -> list[ReceivedSpan]:
        return of(receiver, name, nid)

    await asyncio.to_thread(wait_until, lambda: all(ours(name) for _, name in PATH),
                            timeout=30, what="every part's span of the notification")
    trace_id = ours("herald.bridge")[0].trace_id
    parent = request_span(receiver, trace_id)  # the API's request span starts the trace
    for service, name in PATH:
        (span,) = ours(name)
        assert (span.service, span.trace_id) == (service, trace_id), span
        if name == "herald.deliver":
            (persist,) = ours("herald.persist")
            assert persist.parent_id == span.span_id
            assert [s.parent_id for s in ours("herald.render")] == [persist.span_id]
        assert span.parent_id == parent.span_id, f"{name}'s parent is {parent.name}"
        parent = span
    # The official instrumentations join in where they fit: the API's XADD to the stream.
    assert any(s.service == "herald-api" and s.parent_id and "XADD" in s.name
               for s in receiver.of_trace(trace_id)), {s.name for s in receiver.of_trace(trace_id)}


def test_a_fallback_sent_later_continues_the_trace_of_its_request(traced, smtp):
    receiver, api_url, _ = traced
    tenant = new_tenant("traced-mail")
    headers = {"X-API-Key": tenant.secret_key}
    assert httpx.put(f"{api_url}/v1/users/mila", headers=headers,
                     json={"email": "mila@example.test"}).status_code == 200
    answer = httpx.post(f"{api_url}/v1/notifications", headers=headers, json={
        "recipients": ["mila"], "channels": ["email"], "content": {"title": "By email"}})
    assert answer.status_code == 202
    nid = answer.json()["notifications"][0]["id"]
    wait_until(lambda: smtp.received("mila@example.test"), timeout=60, what="the email")
    wait_until(lambda: of(receiver, "herald.fallback.email", nid), timeout=30,
               what="the fallback's span")
    (fallback,) = of(receiver, "herald.fallback.email", nid)
    assert fallback.service == "herald-outbound"
    assert fallback.attributes["herald.outcome"] == "sent"
    assert fallback.parent_id == request_span(receiver, fallback.trace_id).span_id
    assert of(receiver, "herald.bridge", nid)[0].trace_id == fallback.trace_id
