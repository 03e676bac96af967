"""Seen, archived and snoozed: one tab's change reaches the reader's other tabs, the counts
follow, and a snooze brings the notification back at its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.api import send
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, TenantKeys


def _get(stack: Stack, tenant: TenantKeys, token: str, path: str, **params: str) -> dict:
    response = httpx.get(f"{stack.gateway_url}/v1/me/{path}", params=params,
                         headers={"Authorization": f"Bearer {token}",
                                  "X-API-Key": tenant.publishable_key})
    assert response.status_code == 200, response.text
    return response.json()


async def _three(api: httpx.Client, reader: str, tabs: list[Socket]) -> list[str]:
    ids = []
    for title in ("One", "Two", "Three"):
        ids.append(send(api, reader, title)["id"])
        for tab in tabs:
            await tab.next_of("notification")
    return ids


async def test_seen_on_one_tab_clears_the_badge_on_another(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "sam")
    tab_a = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    tab_b = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    ids = await _three(api, "sam", [tab_a, tab_b])
    assert _get(stack, tenant, token, "counts") == {"unseen": 3, "unread": 3, "archived": 0}

    await tab_a.send({"type": "seen_all"})
    state = await tab_b.next_of("state")
    assert state["seen"] is True and sorted(state["ids"]) == sorted(ids)
    assert (await tab_b.next_of("counts")) == {"type": "counts", "unseen": 0, "unread": 3,
                                               "archived": 0}
    third = await connect(stack.ws_url, tenant.publishable_key, token, since=3)
    assert (third.welcome["unseen"], third.welcome["unread"]) == (0, 3)
    for sock in (tab_a, tab_b, third):
        await sock.close()


async def test_archive_and_unarchive_move_a_notification_between_lists(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "arch")
    tab_a = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    tab_b = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    one, two, three = await _three(api, "arch", [tab_a, tab_b])

    await tab_a.send({"type": "archive", "ids": [two]})
    assert (await tab_b.next_of("state")) | {"change": 0} == {
        "type": "state", "ids": [two], "archived": True, "change": 0}
    assert (await tab_b.next_of("counts"))["archived"] == 1
    assert (await tab_a.next_of("state"))["archived"] is True  # the tab that asked, too
    listed = [i["id"] for i in _get(stack, tenant, token, "notifications")["items"]]
    assert listed == [three, one]
    archived = _get(stack, tenant, token, "notifications", state="archived")["items"]
    assert [i["id"] for i in archived] == [two] and archived[0]["archived"] is True
    assert _get(stack, tenant, token, "counts") == {"unseen": 2, "unread": 2, "archived": 1}

    await tab_b.send({"type": "unarchive", "ids": [two]})
    assert (await tab_a.next_of("state"))["archived"] is False
    assert _get(stack, tenant, token, "counts")["archived"] == 0
    for sock in (tab_a, tab_b):
        await sock.close()


async def test_a_snoozed_notification_hides_then_comes_back_unread_at_its_time(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "snoozy")
    tab_a = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    tab_b = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    one, _, _ = await _three(api, "snoozy", [tab_a, tab_b])
    await tab_a.send({"type": "read", "ids": [one]})
    await tab_b.next_of("state")

    until = datetime.now(UTC) + timedelta(seconds=3)
    await tab_a.send({"type": "snooze", "ids": [one], "until": until.isoformat()})
    snoozed = await tab_b.next_of("state")
    assert snoozed["ids"] == [one] and snoozed["snoozed_until"] == until.isoformat()
    assert one not in [i["id"] for i in _get(stack, tenant, token, "notifications")["items"]]

    back = await tab_b.next_of("updated", timeout=20)
    assert (back["id"], back["snoozed_until"], back["read"]) == (one, None, False)
    assert datetime.now(UTC) >= until
    assert (await tab_b.next_of("counts"))["unread"] == 3
    assert one in [i["id"] for i in _get(stack, tenant, token, "notifications")["items"]]
    for sock in (tab_a, tab_b):
        await sock.close()


async def test_bad_state_frames_get_an_error_naming_the_problem(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "picky")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    nid = send(api, "picky", "Hi")["id"]
    await sock.next_of("notification")
    cases = [
        ({"type": "snooze", "ids": [nid], "until": "tomorrow"}, "ISO 8601"),
        ({"type": "snooze", "ids": [nid], "until": "2001-01-01T00:00:00+00:00"}, "future"),
        ({"type": "snooze", "ids": [nid], "until": "2030-01-01T00:00:00"}, "UTC offset"),
        ({"type": "archive", "ids": "all"}, "ids must be a list"),
    ]
    for frame, words in cases:
        await sock.send(frame)
        error = await sock.next_of("error")
        assert words in error["message"], (frame, error)
    assert _get(stack, tenant, token, "counts") == {"unseen": 1, "unread": 1, "archived": 0}
    await sock.close()


async def test_one_change_over_many_notifications_replays_whole_after_a_reconnect(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """seen_all over 600 notifications is one change number; a tab away meanwhile gets all
    600 as updated on reconnect (replay pages hold 500)."""
    token = token_for(stack.api_url, tenant.secret_key, "many")
    for start in range(0, 600, 100):
        response = api.post("/v1/notifications/batch", json={"items": [
            {"recipients": ["many"], "content": {"title": f"n{i}"}}
            for i in range(start, start + 100)]})
        assert response.status_code == 202
    away = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    while len(away.notifications()) < 600:
        await away.next_of("notification")
    change = away.last_change()
    await away.close()

    other = await connect(stack.ws_url, tenant.publishable_key, token, since=600)
    await other.send({"type": "seen_all"})
    assert len((await other.next_of("state"))["ids"]) == 600
    await other.close()

    back = await connect(stack.ws_url, tenant.publishable_key, token, since=600, change=change)
    updated = [await back.next_of("updated") for _ in range(600)]
    assert len({f["id"] for f in updated}) == 600 and all(f["seen"] for f in updated)
    assert back.welcome["unseen"] == 0
    await back.close()


async def test_a_state_change_reaches_a_tab_on_another_gateway_node(
    stack: Stack, start_part, tenant: TenantKeys, api: httpx.Client
):
    """The state and counts frames travel to the other node as one message."""
    node2 = start_part("gateway", name="gateway-states-node2")
    token = token_for(stack.api_url, tenant.secret_key, "spread")
    here = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    there = await connect(f"ws://127.0.0.1:{node2.port}/ws", tenant.publishable_key, token,
                          since=0)
    ids = await _three(api, "spread", [here, there])
    await here.send({"type": "archive", "ids": ids[:2]})
    state = await there.next_of("state")
    assert sorted(state["ids"]) == sorted(ids[:2]) and state["archived"] is True
    assert (await there.next_of("counts")) == {"type": "counts", "unseen": 1, "unread": 1,
                                               "archived": 2}
    for sock in (here, there):
        await sock.close()
