"""Editing and retracting what was sent: live on every tab, and on replay after a reconnect."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from backend.db.models import Delivery
from tests.support.api import send
from tests.support.db import new_tenant, session_scope
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys


def _inbox(stack: Stack, tenant: TenantKeys, token: str, **params: str) -> list[dict]:
    response = httpx.get(f"{stack.gateway_url}/v1/me/notifications", params=params,
                         headers={"Authorization": f"Bearer {token}",
                                  "X-API-Key": tenant.publishable_key})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_edit_and_retract_reach_both_tabs_live_and_a_third_on_reconnect(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "rita")
    tab_a = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    tab_b = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    first = send(api, "rita", "Build {{ n }} started", data={"n": 41})["id"]
    for tab in (tab_a, tab_b):
        assert (await tab.next_of("notification"))["id"] == first
    second = send(api, "rita", "Build 42 started")["id"]  # seq 2
    for tab in (tab_a, tab_b):
        assert (await tab.next_of("notification"))["id"] == second

    edited = api.patch(f"/v1/notifications/{first}", json={
        "content": {"title": "Build {{ n }} passed"}, "data": {"n": 41}})
    assert edited.status_code == 200 and edited.json() == {"id": first, "changed": 1}
    for tab in (tab_a, tab_b):
        frame = await tab.next_of("updated")
        assert (frame["id"], frame["seq"], frame["title"], frame["data"]) == (
            first, 1, "Build 41 passed", {"n": 41})
    assert api.delete(f"/v1/notifications/{second}").json() == {"id": second, "changed": 1}
    for tab in (tab_a, tab_b):
        assert (await tab.next_of("deleted"))["id"] == second
        assert (await tab.next_of("unread"))["count"] == 1
    await tab_b.close()

    # While tab B is away: another edit, and a notification sent then retracted.
    api.patch(f"/v1/notifications/{first}", json={"content": {"title": "Build 41 deployed"}})
    third = send(api, "rita", "Build 43 started")["id"]
    assert (await tab_a.next_of("notification"))["id"] == third
    api.delete(f"/v1/notifications/{third}")
    assert (await tab_a.next_of("deleted"))["id"] == third

    back = await connect(stack.ws_url, tenant.publishable_key, token, since=2,
                         change=tab_b.last_change())
    replayed = [await back.recv() for _ in range(2)]
    assert [(f["type"], f["id"]) for f in replayed] == [("deleted", third), ("updated", first)]
    assert replayed[0]["seq"] == 3 and replayed[1]["title"] == "Build 41 deployed"
    assert back.welcome["unread"] == 1

    items = _inbox(stack, tenant, token)
    assert [(i["id"], i["title"]) for i in items] == [(first, "Build 41 deployed")]
    status = api.get(f"/v1/notifications/{second}").json()
    assert status["deleted_at"] is not None
    for sock in (tab_a, back):
        await sock.close()


async def test_a_whole_send_is_edited_per_reader_in_their_language(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    for locale, title in (("en", "Your order shipped"), ("fr", "Votre commande est partie")):
        assert api.put(f"/v1/templates/order.shipped/{locale}",
                       json={"title": title}).status_code == 200
    api.put("/v1/users/hugo", json={"locale": "fr"})
    sockets = {r: await connect(stack.ws_url, tenant.publishable_key,
                                token_for(stack.api_url, tenant.secret_key, r), since=0)
               for r in ("hugo", "olga")}
    sent = api.post("/v1/notifications", json={
        "recipients": ["hugo", "olga"], "content": {"title": "Order received"}}).json()
    for sock in sockets.values():
        await sock.next_of("notification")
    edited = api.patch(f"/v1/notifications/{sent['id']}", json={"template": "order.shipped"})
    assert edited.json()["changed"] == 2
    titles = {r: (await s.next_of("updated"))["title"] for r, s in sockets.items()}
    assert titles == {"hugo": "Votre commande est partie", "olga": "Your order shipped"}
    for sock in sockets.values():
        await sock.close()


def test_a_retracted_notification_is_never_retried_or_sent_by_email(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """The reader is offline: a retry row waits; retracting removes it in the same commit."""
    nid = send(api, "away-reader", "Flash sale")["id"]
    wait_until(lambda: _waiting_steps(nid) == 1, what="a retry row")
    assert api.delete(f"/v1/notifications/{nid}").status_code == 200
    assert _waiting_steps(nid) == 0


def _waiting_steps(nid: str) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).where(
            Delivery.notification_id == uuid.UUID(nid))) or 0


def test_bad_edits_are_refused_and_change_nothing(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    nid = send(api, "edit-target", "Original")["id"]
    wait_until(lambda: api.get(f"/v1/notifications/{nid}").json()["status"] != "accepted",
               what="the notification stored")
    empty = api.patch(f"/v1/notifications/{nid}", json={})
    assert empty.status_code == 422 and "give content, template or data" in empty.text
    both = api.patch(f"/v1/notifications/{nid}", json={"content": {"title": "a"},
                                                       "template": "x"})
    assert both.status_code == 422 and "at most one of content and template" in both.text
    unknown = api.patch(f"/v1/notifications/{nid}", json={"template": "no.such"})
    assert unknown.status_code == 422 and "template 'no.such' does not exist" in unknown.text
    broken = api.patch(f"/v1/notifications/{nid}", json={"content": {"title": "{{ oops"}})
    assert broken.status_code == 422
    assert api.patch(f"/v1/notifications/{uuid.uuid4()}",
                     json={"data": {}}).status_code == 404
    other = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": new_tenant().secret_key})
    assert other.delete(f"/v1/notifications/{nid}").status_code == 404
    assert api.get(f"/v1/notifications/{nid}").json()["title"] == "Original"
    assert api.delete(f"/v1/notifications/{nid}").status_code == 200
    again = api.delete(f"/v1/notifications/{nid}")
    assert again.status_code == 404 and "retracted" in again.text


async def test_a_whole_send_rendered_again_keeps_each_readers_own_data(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """One reader's data was edited alone; a template given to the whole send afterwards
    renders each reader's notification with that reader's data."""
    assert api.put("/v1/templates/score/en", json={"title": "Score: {{ n }}"}).status_code == 200
    sockets = {r: await connect(stack.ws_url, tenant.publishable_key,
                                token_for(stack.api_url, tenant.secret_key, r), since=0)
               for r in ("ann", "ben")}
    sent = api.post("/v1/notifications", json={
        "recipients": ["ann", "ben"], "content": {"title": "Game on"}, "data": {"n": 1}}).json()
    ids = {n["recipient"]: n["id"] for n in sent["notifications"]}
    for sock in sockets.values():
        await sock.next_of("notification")
    assert api.patch(f"/v1/notifications/{ids['ben']}", json={"data": {"n": 2}}).json()[
        "changed"] == 1
    await sockets["ben"].next_of("updated")
    assert api.patch(f"/v1/notifications/{sent['id']}",
                     json={"template": "score"}).json()["changed"] == 2
    titles = {r: (await s.next_of("updated"))["title"] for r, s in sockets.items()}
    assert titles == {"ann": "Score: 1", "ben": "Score: 2"}
    for sock in sockets.values():
        await sock.close()


@pytest.mark.timeout(120)
def test_an_edit_to_a_costly_template_is_refused_within_one_budget(
        stack: Stack, api: httpx.Client):
    """Every render of an edit shares one render budget: a template that would take a second
    per language and time zone is refused (nothing changed), and another tenant's sends go on."""
    zones = ["UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York", "Australia/Sydney",
             "Africa/Cairo", "America/Sao_Paulo", "Asia/Kolkata"]
    readers = [f"z{i}" for i in range(len(zones))]
    for reader, zone in zip(readers, zones, strict=True):
        assert api.put(f"/v1/users/{reader}", json={"timezone": zone}).status_code == 200
    sent = api.post("/v1/notifications", json={
        "recipients": readers, "content": {"title": "Plain"}}).json()
    wait_until(lambda: all(api.get(f"/v1/notifications/{n['id']}").json()["status"]
                           != "accepted" for n in sent["notifications"]), what="stored")
    assert api.put("/v1/templates/slow/en", json={"title": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )}).status_code == 200
    other = new_tenant("editing-beside")
    edit = api.patch(f"/v1/notifications/{sent['id']}", json={"template": "slow"}, timeout=60)
    assert edit.status_code == 422, edit.text
    assert "render budget" in edit.text and "nothing was changed" in edit.text
    assert {api.get(f"/v1/notifications/{n['id']}").json()["title"]
            for n in sent["notifications"]} == {"Plain"}
    theirs = httpx.post(f"{stack.api_url}/v1/notifications",
                        headers={"X-API-Key": other.secret_key},
                        json={"recipients": ["b"], "content": {"title": "unharmed"}})
    assert theirs.status_code == 202
