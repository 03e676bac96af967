"""The reader's REST inbox: newest first with a seq cursor, unread filter, read, read-all."""

from __future__ import annotations

import uuid

import httpx

from tests.support.harness import wait_until
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys


def test_inbox_pages_filters_and_marks_read(api: httpx.Client, stack: Stack,
                                            tenant: TenantKeys):
    for i in range(5):
        api.post("/v1/notifications", json={"recipients": ["inbox"],
                                            "content": {"title": f"n{i}"}})
    token = token_for(stack.api_url, tenant.secret_key, "inbox")
    me = httpx.Client(base_url=stack.gateway_url, headers={
        "Authorization": f"Bearer {token}", "X-API-Key": tenant.publishable_key})
    wait_until(lambda: me.get("/v1/me/unread-count").json()["count"] == 5, what="5 stored")

    first = me.get("/v1/me/notifications", params={"limit": 2}).json()
    assert [n["seq"] for n in first["items"]] == [5, 4]
    second = me.get("/v1/me/notifications",
                    params={"limit": 2, "before": first["next_before"]}).json()
    assert [n["seq"] for n in second["items"]] == [3, 2]
    last = me.get("/v1/me/notifications",
                  params={"limit": 2, "before": second["next_before"]}).json()
    assert [n["seq"] for n in last["items"]] == [1] and last["next_before"] is None
    titles = {n["title"] for page in (first, second, last) for n in page["items"]}
    assert titles == {f"n{i}" for i in range(5)}

    target = second["items"][0]["id"]
    assert me.post(f"/v1/me/notifications/{target}/read").json() == {"count": 4}
    unread = me.get("/v1/me/notifications", params={"unread": True}).json()["items"]
    assert target not in {n["id"] for n in unread} and len(unread) == 4

    assert me.post(f"/v1/me/notifications/{uuid.uuid4()}/read").status_code == 404
    assert me.post("/v1/me/notifications/read-all").json() == {"count": 0}
    assert me.get("/v1/me/notifications", params={"limit": 0}).status_code == 422


def test_inbox_needs_a_valid_token(stack: Stack, tenant: TenantKeys):
    response = httpx.get(f"{stack.gateway_url}/v1/me/unread-count",
                         headers={"Authorization": "Bearer nope",
                                  "X-API-Key": tenant.publishable_key})
    assert response.status_code == 401 and "invalid token" in response.json()["detail"]
