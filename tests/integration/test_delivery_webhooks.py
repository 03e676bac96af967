"""Signed delivery webhooks: the product's backend hears of deliveries and reads, each event
signed, retried after failures, with one id however many attempts it took."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import send
from tests.support.harness import wait_until
from tests.support.peers import EventReceiver
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys


@pytest.fixture
def receiver() -> Iterator[EventReceiver]:
    peer = EventReceiver(failures=2)
    yield peer
    peer.close()


def verified(secret: str, request: dict) -> dict:
    """The event, if its Herald-Signature is right for its raw body; else the test fails."""
    fields = dict(part.split("=", 1) for part in request["headers"]["Herald-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + request["raw"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected), "bad signature"
    return json.loads(request["raw"])


async def test_events_are_signed_retried_and_keep_their_id(
    stack: Stack, tenant: TenantKeys, api: httpx.Client, receiver: EventReceiver
):
    created = api.post("/v1/webhooks", json={
        "url": receiver.url, "events": ["notification.delivered", "notification.read"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}").json()

    token = token_for(stack.api_url, tenant.secret_key, "wendy")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    nid = send(api, "wendy", "Your export is ready")["id"]
    await sock.next_of("notification")
    await sock.send({"type": "read", "ids": [nid]})
    await sock.next_of("state")
    await sock.close()

    wait_until(lambda: len(receiver.accepted()) == 2, timeout=60, what="two events accepted")
    events = [verified(hook["secret"], r) for r in receiver.accepted()]
    assert sorted(e["type"] for e in events) == ["notification.delivered", "notification.read"]
    assert {e["data"]["notification_id"] for e in events} == {nid}
    assert {e["data"]["recipient"] for e in events} == {"wendy"}
    for event in events:
        tries = [r for r in receiver.requests if r["id"] == event["id"]]
        assert [r["status"] for r in tries] == [500, 503, 200]
        assert len({r["raw"] for r in tries}) == 1  # the same event each time
        for r in tries:
            verified(hook["secret"], r)

    def listed_when_recorded() -> list[dict]:
        items = api.get(f"/v1/webhooks/{hook['id']}/events").json()["items"]
        return items if all(e["delivered_at"] for e in items) else []

    # The 200 was answered; the worker records it right after.
    listed = wait_until(listed_when_recorded, what="both events recorded as delivered")
    assert {e["id"] for e in listed} == {e["id"] for e in events}
    for e in listed:
        assert [a["status"] for a in e["attempts"]] == [500, 503, 200]
        assert e["delivered_at"] is not None


def test_a_deleted_webhook_gets_nothing_more(
    stack: Stack, tenant: TenantKeys, api: httpx.Client, receiver: EventReceiver
):
    hook = api.post("/v1/webhooks", json={"url": receiver.url,
                                          "events": ["notification.fallback_sent"]}).json()
    assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert api.get("/v1/webhooks").json() == []


# Loopback in disguise: every one of these reaches 127.0.0.2 (or the machine itself). The
# tests allow 127.0.0.1 itself (HERALD_OUTBOUND_ALLOW), hence .2.
DISGUISED = ["https://2130706434/x", "https://0x7f000002/x", "https://0177.0.0.2/x",
             "https://127.2/x", "https://localhost./x", "https://api.localhost/x",
             "https://[::7f00:2]/x", "https://[64:ff9b::7f00:2]/x", "https://[2002:7f00:2::]/x"]


@pytest.mark.parametrize("url", DISGUISED)
def test_loopback_in_disguise_is_refused_when_saved(api: httpx.Client, url: str):
    response = api.post("/v1/webhooks", json={"url": url, "events": ["notification.read"]})
    assert response.status_code == 422, response.text
    assert "webhook address is not public" in response.text
    assert "127.0.0" not in response.text  # what a name resolves to is never told


async def test_a_permanent_refusal_ends_the_event_after_one_attempt(
        stack: Stack, tenant: TenantKeys, api: httpx.Client):
    gone = EventReceiver(failures=10, codes=(410,))
    try:
        hook = api.post("/v1/webhooks", json={"url": gone.url,
                                              "events": ["notification.delivered"]}).json()
        token = token_for(stack.api_url, tenant.secret_key, "gina")
        sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
        send(api, "gina", "Hello")
        await sock.next_of("notification")
        await sock.close()

        def failed() -> list[dict]:
            items = api.get(f"/v1/webhooks/{hook['id']}/events").json()["items"]
            return items if items and items[0]["failed_at"] else []

        event = wait_until(failed, timeout=60, what="the event to end as failed")[0]
        assert [a["status"] for a in event["attempts"]] == [410]
        assert event["next_at"] is None
        assert len(gone.requests) == 1
    finally:
        gone.close()


@pytest.mark.parametrize(("body", "words"), [
    ({"url": "https://10.1.2.3/hook", "events": ["notification.read"]}, "not public"),
    ({"url": "http://example.com/hook", "events": ["notification.read"]}, "must use https"),
    ({"url": "https://user:pw@example.com/", "events": ["notification.read"]}, "user or password"),
    ({"url": "https://example.com/hook", "events": ["notification.sneezed"]}, "events"),
    ({"url": "https://example.com/hook", "events": []}, "events"),
])
def test_bad_webhooks_are_refused(stack: Stack, tenant: TenantKeys, api: httpx.Client,
                                  body: dict, words: str):
    response = api.post("/v1/webhooks", json=body)
    assert response.status_code == 422 and words in response.text, response.text
    assert api.get("/v1/webhooks").json() == []


def test_a_notification_stored_as_failed_is_reported_too(
    stack: Stack, tenant: TenantKeys, api: httpx.Client, receiver: EventReceiver
):
    """A reader who opted out of every channel: the row is stored failed, never updated."""
    hook = api.post("/v1/webhooks", json={"url": receiver.url,
                                          "events": ["notification.failed"]}).json()
    api.put("/v1/users/quiet-one/preferences",
            json={"categories": {"promo": {"in_app": False, "email": False}}})
    nid = send(api, "quiet-one", "Sale", category="promo")["id"]
    wait_until(lambda: receiver.accepted(), timeout=60, what="the failed event")
    event = verified(hook["secret"], receiver.accepted()[0])
    assert (event["type"], event["data"]["notification_id"]) == ("notification.failed", nid)
    assert "opted out" in event["data"]["reason"]


def test_migrations_go_down_and_up_again(servers):
    """Alembic's downgrade of this issue's migrations (partitioning, webhooks, states,
    topics) and upgrade again, on a copy of the schema in a database of its own."""
    import sqlalchemy
    from alembic import command

    from backend.db.migrate import alembic_config, upgrade

    admin = sqlalchemy.create_engine(servers.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text("DROP DATABASE IF EXISTS herald_migrations"))
        conn.execute(sqlalchemy.text("CREATE DATABASE herald_migrations"))
    admin.dispose()
    url = servers.database_url.rsplit("/", 1)[0] + "/herald_migrations"
    upgrade(url)
    command.downgrade(alembic_config(url), "0007")
    upgrade(url)
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        kind = conn.execute(sqlalchemy.text(
            "SELECT relkind FROM pg_class WHERE relname = 'notifications'")).scalar()
    engine.dispose()
    assert kind == "p"  # partitioned again
