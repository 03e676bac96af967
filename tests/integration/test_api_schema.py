"""Every operation of the service API, fuzzed from its own OpenAPI schema by schemathesis
against the running API: bad input is a 4xx naming the problem, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from backend.api.app import create_app
from tests.support.stack import Stack

# The app's own OpenAPI document (made without starting the app); cases run against the API.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@pytest.fixture(scope="module")
def secret_key(stack: Stack) -> str:
    from tests.support.db import new_tenant

    return new_tenant("fuzzed").secret_key


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, stack: Stack, secret_key: str):
    response = case.call(base_url=stack.api_url, headers={"X-API-Key": secret_key})
    assert response.status_code < 500, (case.as_curl_command(), response.text)
