"""The Python client (clients/python) against a running Herald, one test per family of calls:
each reads as what a product's backend would write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from herald_client import AsyncHerald, Herald, HeraldError, mint_reader_token, verify_webhook

from tests.support.harness import wait_until
from tests.support.peers import EventReceiver
from tests.support.sockets import connect
from tests.support.stack import Stack, TenantKeys


@pytest.fixture
def herald(stack: Stack, tenant: TenantKeys) -> Iterator[Herald]:
    with Herald(tenant.secret_key, stack.api_url) as client:
        yield client


async def test_notifications_send_read_edit_and_retract(
    herald: Herald, stack: Stack, tenant: TenantKeys
):
    token = mint_reader_token(tenant.signing_secret, "ada")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    sent = herald.send(["ada"], content={"title": "Report {{ n }} ready"}, data={"n": 7},
                       category="reports")
    frame = await sock.next_of("notification")
    assert frame["id"] == str(sent.id) and frame["title"] == "Report 7 ready"
    wait_until(lambda: herald.notification(str(sent.id)).status.root == "delivered",
               what="the notification delivered")
    assert herald.edit(str(sent.id), content={"title": "Report 7 is late"}).changed == 1
    assert (await sock.next_of("updated"))["title"] == "Report 7 is late"
    assert herald.retract(str(sent.id)).changed == 1
    assert (await sock.next_of("deleted"))["id"] == str(sent.id)
    await sock.close()


def test_a_send_repeated_with_its_key_is_one_notification(herald: Herald):
    first = herald.send(["bo"], content={"title": "once"}, idempotency_key="order-81")
    again = herald.send(["bo"], content={"title": "once"}, idempotency_key="order-81")
    assert again.id == first.id
    batch = herald.send_batch([{"recipients": ["bo"], "content": {"title": "a"}},
                               {"recipients": ["cy"], "content": {"title": "b"}}])
    assert len(batch.items) == 2


def test_refusals_raise_with_heralds_words(herald: Herald):
    with pytest.raises(HeraldError) as refused:
        herald.send(["ada"], content={"title": "t"}, channels=["email", "in_app"])
    assert refused.value.status == 422 and "in_app, when present, comes first" in str(
        refused.value.detail)
    with pytest.raises(HeraldError) as missing:
        herald.notification("01a22414-63d7-789b-b5df-a38de92d856c")
    assert missing.value.status == 404


def test_topics_and_their_subscribers(herald: Herald):
    assert herald.put_topic("deploys", name="Deploys").key == "deploys"
    assert herald.subscribe("deploys", add=["ada", "bo", "cy"], remove=[]).subscribers == 3
    assert herald.subscribers("deploys", limit=2).items == ["ada", "bo"]
    sent = herald.send(topic="deploys", content={"title": "v2 is out"})
    assert sent.topic == "deploys" and sent.recipients == 3
    herald.delete_topic("deploys")
    with pytest.raises(HeraldError):
        herald.topic("deploys")


def test_templates_readers_and_preferences(herald: Herald):
    template = herald.put_template("welcome", "de", "Willkommen, {{ name }}",
                                   body="Schön, dass Sie da sind")
    assert template.key == "welcome"
    assert herald.preview("welcome", locale="de", data={"name": "Ada"}).title == \
        "Willkommen, Ada"
    user = herald.put_user("dora", locale="de", email="dora@example.test")
    assert user.locale == "de"
    prefs = herald.put_preferences("dora", categories={"news": {"email": False}})
    assert prefs.categories == {"news": {"email": False}}
    defaults = herald.put_preference_defaults(required_categories=["security"])
    assert [c.root for c in defaults.required_categories or []] == ["security"]
    assert herald.erase_user("dora").erased["notifications"] == 0


def test_schedules_tokens_origins_and_dead_letters(herald: Herald, stack: Stack,
                                                   tenant: TenantKeys):
    schedule = herald.create_schedule("0 9 * * 1", {"recipients": ["ada"],
                                                    "content": {"title": "Weekly"}},
                                      timezone="Europe/Berlin")
    assert [s.id for s in herald.schedules()] == [schedule.id]
    assert herald.schedule(schedule.id).cron == "0 9 * * 1"
    herald.delete_schedule(schedule.id)
    assert herald.schedules() == []
    assert herald.create_token("ada", ttl_seconds=60).token.count(".") == 2
    assert herald.set_allowed_origins(["https://app.example.test"]).origins == \
        herald.allowed_origins().origins
    assert herald.dead_letters().items == []


def test_webhooks_and_their_signed_events(herald: Herald, stack: Stack, tenant: TenantKeys):
    receiver = EventReceiver()
    try:
        hook = herald.create_webhook(receiver.url, ["notification.delivered"])
        assert [w.id for w in herald.webhooks()] == [hook.id]
        assert herald.webhook(hook.id).url == receiver.url

        async def delivered() -> None:
            sock = await connect(stack.ws_url, tenant.publishable_key,
                                 mint_reader_token(tenant.signing_secret, "eve"), since=0)
            herald.send(["eve"], content={"title": "signed"})
            await sock.next_of("notification")
            await sock.close()

        asyncio.run(delivered())
        wait_until(lambda: receiver.accepted(), 60, "the event at the product's backend")
        (request,) = receiver.accepted()
        verify_webhook(hook.secret, request["headers"]["Herald-Signature"], request["raw"])
        wait_until(lambda: herald.webhook_events(hook.id).items, 30, "the event listed")
        herald.delete_webhook(hook.id)
        assert herald.webhooks() == []
    finally:
        receiver.close()


async def test_the_async_client_makes_the_same_calls(stack: Stack, tenant: TenantKeys):
    async with AsyncHerald(tenant.secret_key, stack.api_url) as herald:
        sent = await herald.send(["fay"], content={"title": "async"})
        found = await herald.notification(str(sent.id))
        assert found.id == sent.id
        with pytest.raises(HeraldError):
            await herald.topic("no-such-topic")
