"""``HERALD_LOG_FORMAT=json``: every part writes one JSON object per line, and one
notification can be followed by its id from the API through the bridge to the worker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import SideStack, Stack, TenantKeys


def _json_lines(output: str) -> list[dict[str, Any]]:
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


async def test_one_notification_is_followed_by_its_id_across_the_parts(
        stack: Stack, side_stack: Callable[..., SideStack], tenant: TenantKeys):
    side = side_stack(8, log_format="json")
    user = f"json-{uuid.uuid4().hex[:6]}"
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, user))
    answer = httpx.post(f"{side.api_url}/v1/notifications",
                        headers={"X-API-Key": tenant.secret_key},
                        json={"recipients": [user], "content": {"title": "follow me"}})
    nid = answer.json()["id"]
    await sock.next_of("notification", timeout=30)
    await sock.close()

    def journey() -> dict[str, list[str]]:
        return {name: [line["message"] for line in _json_lines(proc.output())
                       if line.get("notification_id") == nid]
                for name, proc in (("api", side.api), ("bridge", side.bridge),
                                   ("worker", side.worker))}

    wait_until(lambda: all(journey().values()), timeout=30,
               what="a line about the notification from each part")
    assert journey() == {"api": ["accepted"], "bridge": ["queued on notifications.default"],
                         "worker": ["pushed: a socket took it"]}
    for proc in (side.api, side.bridge, side.worker):
        for line in _json_lines(proc.output()):
            assert {"time", "level", "logger", "message"} <= set(line)
        tagged = [line for line in _json_lines(proc.output()) if "notification_id" in line]
        assert all(line["tenant_id"] == tenant.tenant_id for line in tagged
                   if line["notification_id"] == nid)
