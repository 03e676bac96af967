"""Templates in every reader's language: versioned, sandboxed, with Babel's rules."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.support.harness import REPO, wait_until
from tests.support.stack import Stack, TenantKeys


def put(api: httpx.Client, key: str, locale: str, **fields) -> httpx.Response:
    return api.put(f"/v1/templates/{key}/{locale}", json=fields)


def preview(api: httpx.Client, key: str, locale: str, data: dict, timezone: str = "UTC"):
    return api.post(f"/v1/templates/{key}/preview",
                    json={"locale": locale, "timezone": timezone, "data": data})


def stored(api: httpx.Client, nid: str) -> dict:
    return wait_until(lambda: (s := api.get(f"/v1/notifications/{nid}").json())
                      ["status"] != "accepted" and s, what=f"{nid} to be stored")


def test_each_reader_gets_their_own_language(api: httpx.Client, stack: Stack):
    for locale, title in [("en", "Welcome, {{ name }}"), ("de", "Willkommen, {{ name }}"),
                          ("pt", "Bem-vindo, {{ name }}"), ("ja", "ようこそ、{{ name }}さん")]:
        assert put(api, "welcome", locale, title=title).status_code == 200
    for user, locale in [("hans", "de"), ("joao", "pt-BR"), ("yuki", "ja")]:
        assert api.put(f"/v1/users/{user}", json={"locale": locale}).status_code == 200
    answer = api.post("/v1/notifications", json={
        "recipients": ["hans", "joao", "yuki"], "template": "welcome",
        "data": {"name": "Ada"}}).json()
    titles = {n["recipient"]: stored(api, n["id"])["title"] for n in answer["notifications"]}
    assert titles == {"hans": "Willkommen, Ada", "joao": "Bem-vindo, Ada",
                      "yuki": "ようこそ、Adaさん"}


def test_one_request_is_rendered_in_each_readers_time_zone(api: httpx.Client):
    """A request's readers who share a language and time zone share one render; one in
    another zone gets their own."""
    put(api, "meeting", "en", title="Meeting", body='{{ at | datetime("short") }}')
    zones = {"ny-1": "America/New_York", "tokyo": "Asia/Tokyo", "ny-2": "America/New_York"}
    for user, zone in zones.items():
        assert api.put(f"/v1/users/{user}", json={"locale": "en", "timezone": zone}
                       ).status_code == 200
    answer = api.post("/v1/notifications", json={
        "recipients": list(zones), "template": "meeting",
        "data": {"at": "2026-03-01T23:30:00+00:00"}}).json()
    bodies = {n["recipient"]: stored(api, n["id"])["body"] for n in answer["notifications"]}
    assert bodies["ny-1"] == bodies["ny-2"] == "3/1/26, 6:30\u202fPM"
    assert bodies["tokyo"] == "3/2/26, 8:30\u202fAM"


def test_override_then_tenant_default_then_en(api: httpx.Client):
    put(api, "plain", "en", title="Hello")
    put(api, "plain", "fr", title="Bonjour")
    answer = api.post("/v1/notifications", json={
        "recipients": ["nolocale"], "template": "plain", "locale": "fr-CA"}).json()
    assert stored(api, answer["id"])["title"] == "Bonjour"
    answer = api.post("/v1/notifications", json={
        "recipients": ["nolocale"], "template": "plain"}).json()
    assert stored(api, answer["id"])["title"] == "Hello"


MESSAGES = ('{{ n | plural(one="# message", few="# messages-few", many="# messages-many", '
            'other="# messages") }}')


@pytest.mark.parametrize(("locale", "n", "expected"), [
    ("en", 1, "1 message"), ("en", 5, "5 messages"),
    ("pl", 1, "1 message"), ("pl", 2, "2 messages-few"), ("pl", 5, "5 messages-many"),
    ("ru", 21, "21 message"), ("ru", 5, "5 messages-many"),
])
def test_plurals_follow_each_languages_rules(api: httpx.Client, locale, n, expected):
    put(api, "count", locale, title=MESSAGES)
    assert preview(api, "count", locale, {"n": n}).json()["title"] == expected


def test_currency_and_dates_per_locale_and_time_zone(api: httpx.Client):
    body = '{{ amount | currency("EUR") }} at {{ at | datetime("short") }}'
    for locale in ("en", "de", "ja"):
        put(api, "invoice", locale, title="Invoice", body=body)
    data = {"amount": 1234.5, "at": "2026-03-01T23:30:00+00:00"}
    en = preview(api, "invoice", "en", data, "America/New_York").json()["body"]
    de = preview(api, "invoice", "de", data, "Europe/Berlin").json()["body"]
    ja = preview(api, "invoice", "ja", data, "Asia/Tokyo").json()["body"]
    assert en.startswith("€1,234.50 at 3/1/26") and "6:30" in en  # New York: 18:30 the 1st
    assert de.startswith("1.234,50\xa0€ at 02.03.26") and "00:30" in de  # Berlin: past midnight
    assert "2026/03/02" in ja and "8:30" in ja  # Tokyo: 08:30 on the 2nd


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ ()['__class__'] }}",
])
def test_sandbox_escapes_are_refused_at_upload(api: httpx.Client, source: str):
    response = put(api, "evil", "en", title="ok", body=source)
    assert response.status_code == 422
    assert "unsafe attribute" in response.text and "body" in response.text


def test_sandbox_refuses_escapes_hidden_in_data(api: httpx.Client):
    put(api, "indirect", "en", title="{{ x[attr] }}")
    response = preview(api, "indirect", "en", {"x": "s", "attr": "__class__"})
    assert response.status_code == 422
    assert "title" in response.text


def test_syntax_error_names_field_and_line(api: httpx.Client):
    response = put(api, "broken", "en", title="ok", email_html="<p>\n{% for x in %}\n</p>")
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert "email_html" in detail["loc"] and "line 2" in detail["msg"]


def test_missing_variable_is_clear_in_preview_and_refused_at_send(api: httpx.Client):
    put(api, "needs-name", "en", title="Hi {{ name }}")
    response = preview(api, "needs-name", "en", {})
    assert response.status_code == 422 and "'name' is undefined" in response.text
    response = api.post("/v1/notifications", json={
        "recipients": ["someone"], "template": "needs-name"})
    assert response.status_code == 422
    assert "template 'needs-name' (en) title: undefined variable 'name'" in response.text


def test_unknown_template_is_422(api: httpx.Client):
    response = api.post("/v1/notifications", json={"recipients": ["x"], "template": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "template"]


def test_update_adds_a_version_and_never_changes_what_was_sent(api: httpx.Client):
    assert put(api, "versioned", "en", title="First").json()["version"] == 1
    first = api.post("/v1/notifications", json={
        "recipients": ["v"], "template": "versioned"}).json()
    assert stored(api, first["id"])["title"] == "First"
    assert put(api, "versioned", "en", title="Second").json()["version"] == 2
    second = api.post("/v1/notifications", json={
        "recipients": ["v"], "template": "versioned"}).json()
    assert stored(api, second["id"])["title"] == "Second"
    assert api.get(f"/v1/notifications/{first['id']}").json()["title"] == "First"


def test_templates_load_from_a_folder(api: httpx.Client, stack: Stack, tenant: TenantKeys,
                                      tmp_path):
    (tmp_path / "order-shipped").mkdir()
    (tmp_path / "order-shipped" / "en.yaml").write_text(
        "title: Order {{ id }} shipped\nemail_subject: Your order {{ id }}\n")
    (tmp_path / "order-shipped" / "es.json").write_text(
        json.dumps({"title": "Pedido {{ id }} enviado"}))
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "templates", "load", str(tmp_path),
         "--tenant", tenant.tenant_id], cwd=REPO, env=stack.env, capture_output=True,
        text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "loaded 2 template versions" in done.stdout
    assert preview(api, "order-shipped", "es", {"id": 7}).json()["title"] == "Pedido 7 enviado"

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "en.yaml").write_text("title: '{% if %}'\n")
    failed = subprocess.run(
        [sys.executable, "-m", "backend.cli", "templates", "load", str(tmp_path),
         "--tenant", tenant.tenant_id], cwd=REPO, env=stack.env, capture_output=True,
        text=True, timeout=60)
    assert failed.returncode == 1
    assert "bad/en.yaml" in failed.stderr and "line 1" in failed.stderr
    assert preview(api, "order-shipped", "en", {"id": 1}).json()["version"] == 1
