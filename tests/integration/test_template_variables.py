"""A reader never sees template syntax: a variable nobody can give is refused at the door,
naming where it is used, and what can only fail for one reader falls back to a declared
default or to the text's plain words."""

from __future__ import annotations

import httpx

from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys


def stored(api: httpx.Client, nid: str) -> dict:
    return wait_until(lambda: (s := api.get(f"/v1/notifications/{nid}").json())
                      ["status"] not in ("accepted", "scheduled") and s,
                      what=f"{nid} to be stored")


def message(response: httpx.Response) -> str:
    return response.json()["detail"][0]["msg"]


async def test_a_typo_in_a_variable_is_refused_and_never_reaches_a_socket(
        api: httpx.Client, stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "u"), since=0)
    typo = api.post("/v1/notifications", json={
        "recipients": ["u"], "content": {"title": "Hi {{ nme }}", "body": "b"},
        "data": {"name": "Ada"}})
    assert typo.status_code == 422, typo.text
    assert message(typo) == "content.title: undefined variable 'nme' (did you mean 'name'?)"
    assert typo.json()["detail"][0]["loc"] == ["body", "content", "title"]
    fixed = api.post("/v1/notifications", json={
        "recipients": ["u"], "content": {"title": "Hi {{ name }}", "body": "b"},
        "data": {"name": "Ada"}})
    assert fixed.status_code == 202
    frame = await sock.next_of("notification", timeout=30)
    assert frame["title"] == "Hi Ada"  # the typo's notification never came before it
    assert frame["id"] == fixed.json()["id"]
    await sock.close()


def test_a_body_and_a_batch_item_are_checked_too(api: httpx.Client):
    body = api.post("/v1/notifications", json={
        "recipients": ["u"], "content": {"title": "t", "body": "{{ order.id }} shipped"}})
    assert body.status_code == 422
    assert message(body) == "content.body: undefined variable 'order'"
    batch = api.post("/v1/notifications/batch", json={"items": [
        {"recipients": ["u"], "content": {"title": "fine"}},
        {"recipients": ["u"], "content": {"title": "{{ count }} new"}, "data": {"cnt": 1}}]})
    assert batch.status_code == 422
    assert batch.json()["detail"][0]["loc"] == ["body", "items", 1, "content", "title"]


def test_an_undefined_variable_in_a_templates_email_variant_is_refused(api: httpx.Client):
    assert api.put("/v1/templates/shipped/en", json={
        "title": "Order {{ order_id }} shipped",
        "email_html": "<p>Track it at {{ tracking_url }}</p>"}).status_code == 200
    assert api.put("/v1/templates/shipped/de", json={
        "title": "Bestellung {{ order_id }}"}).status_code == 200
    response = api.post("/v1/notifications", json={
        "recipients": ["u"], "template": "shipped", "data": {"order_id": 7}})
    assert response.status_code == 422
    assert message(response) == ("template 'shipped' (en) email_html: undefined variable "
                                 "'tracking_url'")
    ok = api.post("/v1/notifications", json={
        "recipients": ["u"], "template": "shipped",
        "data": {"order_id": 7, "tracking_url": "https://t.example/7"}})
    assert ok.status_code == 202
    assert stored(api, ok.json()["id"])["title"] == "Order 7 shipped"


def test_a_template_declares_what_it_needs(api: httpx.Client):
    undeclared = api.put("/v1/templates/invoice/en", json={
        "title": "Invoice {{ number }} for {{ amont }}",
        "variables": {"number": {}, "amount": {"default": 0}}})
    assert undeclared.status_code == 422
    assert "title: variable 'amont' is used but not declared" in undeclared.text
    assert "did you mean 'amount'" in undeclared.text
    assert api.put("/v1/templates/invoice/en", json={
        "title": "Invoice {{ number }}", "variables": {"number": {}, "due": {}}}
    ).status_code == 200
    missing = api.post("/v1/notifications", json={
        "recipients": ["u"], "template": "invoice", "data": {"number": 1}})
    assert missing.status_code == 422
    assert "'due' is required by the template" in message(missing)
    bad_field = api.put("/v1/templates/invoice/fr", json={"title": "{{ reader.nam }}"})
    assert bad_field.status_code == 422
    assert "reader has no field 'nam' (did you mean 'name'?)" in bad_field.text


def test_a_reader_missing_a_field_gets_the_declared_default(api: httpx.Client):
    assert api.put("/v1/users/ada", json={"name": "Ada"}).status_code == 200
    assert api.put("/v1/templates/greet/en", json={
        "title": "Hi {{ reader.name }}",
        "variables": {"reader.name": {"default": "there"}}}).status_code == 200
    answer = api.post("/v1/notifications", json={
        "recipients": ["ada", "anonymous"], "template": "greet"}).json()
    titles = {n["recipient"]: stored(api, n["id"]) for n in answer["notifications"]}
    assert titles["ada"]["title"] == "Hi Ada"
    assert titles["anonymous"]["title"] == "Hi there"
    assert not [a for a in titles["anonymous"]["attempts"] if a["channel"] == "render"]


def test_a_reader_field_without_a_default_falls_back_to_plain_words(api: httpx.Client):
    assert api.put("/v1/templates/plainly/en", json={
        "title": "Hi {{ reader.name }}, your report is ready",
        "body": "{% if reader.name %}Yours{% endif %} as always"}).status_code == 200
    answer = api.post("/v1/notifications", json={
        "recipients": ["nameless"], "template": "plainly"}).json()
    status = stored(api, answer["id"])
    assert status["title"] == "Hi, your report is ready"  # no syntax, never "{{"
    assert "{" not in status["body"]
    assert any(a["channel"] == "render" and "UndefinedError" in a["error"]
               and "'name'" in a["error"] for a in status["attempts"])


def test_an_edit_that_introduces_an_undefined_variable_changes_nothing(api: httpx.Client):
    sent = api.post("/v1/notifications", json={
        "recipients": ["e"], "content": {"title": "Deploy {{ v }}"}, "data": {"v": "1.0"}})
    nid = sent.json()["id"]
    assert stored(api, nid)["title"] == "Deploy 1.0"
    edit = api.patch(f"/v1/notifications/{nid}", json={
        "content": {"title": "Deploy {{ version }} done"}})
    assert edit.status_code == 422, edit.text
    assert "undefined variable 'version'" in message(edit)
    assert api.get(f"/v1/notifications/{nid}").json()["title"] == "Deploy 1.0"
    good = api.patch(f"/v1/notifications/{nid}", json={
        "content": {"title": "Deploy {{ v }} done"}})
    assert good.status_code == 200
    assert api.get(f"/v1/notifications/{nid}").json()["title"] == "Deploy 1.0 done"
