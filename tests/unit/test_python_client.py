"""The Python client (clients/python) against what the server says and does, without a
server: its models are the API's OpenAPI schema, its reader tokens and webhook checks are
the server's own rules, and its retries follow 429, 503 and lost connections."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import httpx
import pytest
from herald_client import (
    BadSignature,
    Herald,
    HeraldError,
    Retries,
    mint_reader_token,
    verify_webhook,
)

from backend.notifications.webhook_events import signature
from backend.tenants.tokens import verify_token

CLIENT = Path(__file__).parents[2] / "clients" / "python"


def _generator():  # clients/python is not a package of the server: load its script by path
    spec = importlib.util.spec_from_file_location("generate_models",
                                                  CLIENT / "generate_models.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_clients_models_are_the_apis_schema():
    generator = _generator()
    assert generator.MODELS.read_text() == generator.generate(generator.openapi()), (
        "the API changed: run python clients/python/generate_models.py")


def test_the_client_imports_nothing_of_the_server():
    for source in (CLIENT / "herald_client").glob("*.py"):
        text = source.read_text()
        assert "import backend" not in text and "from backend" not in text, source


def test_a_minted_token_is_one_the_gateway_accepts():
    secret = "a-tenant-signing-secret-of-32-bytes+"
    token = mint_reader_token(secret, "ada", ttl_seconds=60)
    claims = verify_token(token, secret)
    assert claims["sub"] == "ada" and claims["exp"] - claims["iat"] == 60


def test_a_webhook_signed_by_herald_verifies_and_nothing_else_does():
    body = json.dumps({"event": "notification.delivered"}).encode()
    header = signature("whsec", body, at=1_000_000)
    verify_webhook("whsec", header, body, now=1_000_100)
    for wrong in (("other", header, body, 1_000_100), ("whsec", header, body + b" ", 1_000_100),
                  ("whsec", header, body, 1_000_400), ("whsec", "v1=00", body, 1_000_100)):
        with pytest.raises(BadSignature):
            verify_webhook(wrong[0], wrong[1], wrong[2], now=wrong[3])


def _herald(answers: list[httpx.Response | Exception], seen: list[httpx.Request]) -> Herald:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        found = answers.pop(0)
        if isinstance(found, Exception):
            raise found
        return found

    return Herald("sk_test", "http://herald.test", Retries(attempts=3, base_seconds=0),
                  transport=httpx.MockTransport(answer))


NID = "01a22414-63d7-789b-b5df-a38de92d856c"
ACCEPTED = {"id": NID, "status": "accepted", "notifications": [{"id": NID, "recipient": "ada"}]}


def test_a_send_is_keyed_and_retried_with_the_same_key_after_a_503_and_a_lost_answer():
    seen: list[httpx.Request] = []
    herald = _herald([httpx.Response(503), httpx.ConnectError("reset"),
                      httpx.Response(202, json=ACCEPTED)], seen)
    assert str(herald.send(["ada"], content={"title": "t"}).id) == NID
    keys = {json.loads(r.content)["idempotency_key"] for r in seen}
    assert len(seen) == 3 and len(keys) == 1 and None not in keys


def test_429_waits_as_retry_after_says():
    assert Retries().wait(0, httpx.Response(429, headers={"Retry-After": "7"})) == 7
    assert Retries(max_wait=2).wait(0, httpx.Response(429, headers={"Retry-After": "7"})) == 2


def test_a_refusal_raises_with_heralds_error_body():
    seen: list[httpx.Request] = []
    detail = [{"loc": ["body", "recipients"], "msg": "give exactly one", "type": "value_error"}]
    herald = _herald([httpx.Response(422, json={"detail": detail})], seen)
    with pytest.raises(HeraldError) as raised:
        herald.send([], content={"title": "t"})
    assert raised.value.status == 422 and raised.value.fields == ["body.recipients"]
    assert len(seen) == 1  # a 4xx is never retried


def test_a_create_that_may_not_be_repeated_is_not_sent_twice():
    seen: list[httpx.Request] = []
    herald = _herald([httpx.ConnectError("reset")], seen)
    with pytest.raises(httpx.ConnectError):
        herald.create_webhook("https://example.test/hook", ["notification.delivered"])
    assert len(seen) == 1
