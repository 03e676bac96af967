"""Every operation of both apps, fuzzed from its own OpenAPI schema by schemathesis against
the running processes (with the size limits in place): bad input is a 4xx naming the
problem, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from backend.api.app import create_app
from gateway.app import create_app as create_gateway
from tests.support.stack import Stack, TenantKeys

# The apps' own OpenAPI documents (made without starting them); cases run against the parts.
api_schema = schemathesis.openapi.from_dict(create_app().openapi())
gateway_schema = schemathesis.openapi.from_dict(create_gateway().openapi())


@pytest.fixture(scope="module")
def fuzzed(stack: Stack) -> TenantKeys:
    from tests.support.db import new_tenant

    return new_tenant("fuzzed")


@api_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, stack: Stack, fuzzed: TenantKeys):
    response = case.call(base_url=stack.api_url, headers={"X-API-Key": fuzzed.secret_key})
    assert response.status_code < 500, (case.as_curl_command(), response.text)


@pytest.fixture(scope="module")
def reader_headers(stack: Stack, fuzzed: TenantKeys) -> dict[str, str]:
    from tests.support.sockets import token_for

    token = token_for(stack.api_url, fuzzed.secret_key, "fuzzed-reader")
    return {"Authorization": f"Bearer {token}", "X-API-Key": fuzzed.publishable_key,
            "X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]}


@gateway_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_gateway_input_makes_a_server_error(case, stack: Stack, reader_headers: dict):
    response = case.call(base_url=stack.gateway_url, headers=reader_headers)
    assert response.status_code < 500, (case.as_curl_command(), response.text)
