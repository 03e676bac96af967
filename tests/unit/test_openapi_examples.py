"""Both OpenAPI specs carry an example request and answer for every operation, and every
example is valid against the operation's own schema (so none can drift from the code)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from backend.api.app import create_app
from backend.core.config import Settings
from gateway.app import create_app as create_gateway

SETTINGS = Settings(redis_url="redis://unused", database_url="postgresql://unused/x",
                    internal_key="unused")
SPECS = {"api": create_app(SETTINGS).openapi(), "gateway": create_gateway(SETTINGS).openapi()}
NOT_JSON = {"/metrics", "/internal/push"}  # Prometheus text; the workers' own call


def _json_parts(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    parts = []
    for path, operations in spec["paths"].items():
        if path in NOT_JSON:
            continue
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                parts.append((f"{name} request", body))
            success = next(c for c in operation["responses"] if c.startswith("2"))
            answer = operation["responses"][success].get("content", {}).get("application/json")
            if answer is not None and success != "204":
                parts.append((f"{name} answer {success}", answer))
    return parts


CASES = [(app, name, part) for app, spec in SPECS.items() for name, part in _json_parts(spec)]


@pytest.mark.parametrize(("app", "name", "part"), CASES, ids=[f"{a}: {n}" for a, n, _ in CASES])
def test_every_operation_has_a_valid_example(app: str, name: str, part: dict[str, Any]):
    assert "example" in part, f"{app}: {name} has no example"
    schema = {**part["schema"], "components": SPECS[app]["components"]}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(part["example"])]
    assert errors == [], f"{app}: {name}: {errors}"
